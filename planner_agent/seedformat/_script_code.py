"""The processing script code block: contract constants, one stub per main function, ``main()``."""

from __future__ import annotations

import re

from ..plan import ImplementationPlan
from ._code_text import comment, header, ident, lit

__all__ = ["script_block"]


def _function_names(plan: ImplementationPlan) -> list[str]:
    names: list[str] = []
    for text in plan.components.processing_script.main_functions:
        match = re.match(r"\s*`?([A-Za-z_]\w*)", text)
        name = ident(match.group(1) if match else text, "step")
        if name not in ("main", "parse_args", *names):
            names.append(name)
    return names


def script_block(plan: ImplementationPlan) -> str:
    """The processing script skeleton: contract constants, the main functions, ``main()``.

    >>> "def fit_calibrator(*args, **kwargs):" in script_block(plan)  # doctest: +SKIP
    True
    """
    script = plan.components.processing_script
    contract = plan.components.script_contract
    step = ident(plan.step_name, "Step")
    functions = _function_names(plan)
    lines = [
        *header(script.file_path, "processing script"),
        f'"""{step} script: implements the business logic behind the contract."""',
        "",
        "import argparse",
        "import logging",
        "import os",
        "import sys",
        "",
        "logging.basicConfig(level=logging.INFO)",
        "logger = logging.getLogger(__name__)",
        "",
        *comment(f"Algorithm: {script.algorithm}" if script.algorithm else ""),
        "# Container paths and environment variables, as the script contract declares them.",
        f"INPUT_PATHS = {lit({p.logical_name: p.container_path for p in contract.input_paths})}",
        f"OUTPUT_PATHS = {lit({p.logical_name: p.container_path for p in contract.output_paths})}",
        f"REQUIRED_ENV_VARS = {lit(list(contract.required_env_vars))}",
        f"OPTIONAL_ENV_VARS = {lit(dict(contract.optional_env_vars))}",
        "",
    ]
    for fn in functions:
        lines += [
            "",
            f"def {fn}(*args, **kwargs):",
            f'    """{fn}: to implement."""',
            f"    raise NotImplementedError({lit(fn)})",
            "",
        ]
    lines += [
        "",
        "def parse_args() -> argparse.Namespace:",
        '    """Parse the command-line arguments the contract expects."""',
        f"    parser = argparse.ArgumentParser(description={lit(f'{step} script')})",
    ]
    for arg, value in contract.expected_arguments.items():
        flag = "--" + arg.lstrip("-")
        lines.append(f"    parser.add_argument({lit(flag)}, default={lit(value)})")
    lines += [
        "    return parser.parse_args()",
        "",
        "",
        "def main() -> int:",
        '    """Entry point: read the environment, run the steps, return the exit code."""',
        "    args = parse_args()",
        "    try:",
        "        env = {name: os.environ[name] for name in REQUIRED_ENV_VARS}",
        "        for name, default in OPTIONAL_ENV_VARS.items():",
        "            env[name] = os.environ.get(name, default)",
        f"        logger.info({lit(f'Starting {step}: args=%s env=%s')}, args, env)",
        *(f"        # {i}. {fn}(...)" for i, fn in enumerate(functions, 1)),
        "        return 0",
        "    except Exception:",
        f"        logger.exception({lit(f'{step} failed')})",
        "        return 1",
        "",
        "",
        'if __name__ == "__main__":',
        "    sys.exit(main())",
    ]
    return "\n".join(lines)
