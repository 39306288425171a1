"""The processing script code block: contract constants, one stub per main function, ``main``.

A script of the architecture is called as ``main(input_paths, output_paths, environ_vars,
job_args)`` (logical names to container folders, environment variables to their values, the
parsed arguments), so a test can run it without a container; the ``__main__`` part builds those
from the contract's folders and ``os.environ``. `scaffold_step` writes this text as it is.
"""

from __future__ import annotations

import re

from ..plan import ImplementationPlan
from ._code_text import comment, header, ident, lit

__all__ = ["STANDARD_MAIN", "script_block"]

STANDARD_MAIN = ("input_paths", "output_paths", "environ_vars", "job_args")
"""The parameters of a script's ``main``, in order."""


def _function_names(plan: ImplementationPlan) -> list[str]:
    names: list[str] = []
    for text in plan.components.processing_script.main_functions:
        match = re.match(r"\s*`?([A-Za-z_]\w*)", text)
        name = ident(match.group(1) if match else text, "step")
        if name not in ("main", "parse_args", *names):
            names.append(name)
    return names


def script_block(plan: ImplementationPlan) -> str:
    """The processing script skeleton: contract constants, the main functions, ``main``.

    >>> "def main(input_paths, output_paths, environ_vars, job_args):" in script_block(plan)  # doctest: +SKIP
    True
    """
    script = plan.components.processing_script
    contract = plan.components.script_contract
    step = ident(plan.step_name, "Step")
    functions = _function_names(plan)
    required, optional = contract.required_env_vars, contract.optional_env_vars
    inputs = [p.logical_name for p in contract.input_paths]
    outputs = [p.logical_name for p in contract.output_paths]
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
        f"REQUIRED_ENV_VARS = {lit(list(required))}",
        f"OPTIONAL_ENV_VARS = {lit(dict(optional))}",
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
        *(
            f"    parser.add_argument({lit('--' + a.lstrip('-'))}, default={lit(v)})"
            for a, v in contract.expected_arguments.items()
        ),
        "    return parser.parse_args()",
        "",
        "",
        f"def main({', '.join(STANDARD_MAIN)}):",
        f'    """Run {step}: ``input_paths`` and ``output_paths`` map the contract\'s logical names',
        "    to container folders, ``environ_vars`` its environment variables to their values,",
        '    ``job_args`` holds the parsed arguments. Returns the exit code."""',
        *_mapping("inputs", [f"{lit(n)}: input_paths[{lit(n)}]" for n in inputs]),
        *_mapping("outputs", [f"{lit(n)}: output_paths[{lit(n)}]" for n in outputs]),
        *_mapping(
            "settings",
            [f"{lit(v)}: environ_vars[{lit(v)}]" for v in required]
            + [f"{lit(v)}: environ_vars.get({lit(v)}, {lit(d)})" for v, d in optional.items()],
        ),
        "    logger.info(",
        f"        {lit(f'{step}: inputs=%s outputs=%s settings=%s args=%s')},",
        "        inputs,",
        "        outputs,",
        "        settings,",
        "        job_args,",
        "    )",
        *(f"    # {i}. {fn}(...)" for i, fn in enumerate(functions, 1)),
        "    return 0",
        "",
        "",
        'if __name__ == "__main__":',
        "    try:",
        "        environ_vars = {name: os.environ[name] for name in REQUIRED_ENV_VARS}",
        "        for name, default in OPTIONAL_ENV_VARS.items():",
        "            environ_vars[name] = os.environ.get(name, default)",
        "        exit_code = main(dict(INPUT_PATHS), dict(OUTPUT_PATHS), environ_vars, parse_args())",
        "    except Exception:",
        f"        logger.exception({lit(f'{step} failed')})",
        "        exit_code = 1",
        "    sys.exit(exit_code)",
    ]
    return "\n".join(lines)


def _mapping(var: str, rows: list[str]) -> list[str]:
    if not rows:
        return [f"    {var} = {{}}"]
    return [f"    {var} = {{", *(f"        {row}," for row in rows), "    }"]
