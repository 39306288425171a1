"""The processing script: the plan's script block with the standard entry point.

A script of the architecture is called as ``main(input_paths, output_paths, environ_vars,
job_args)`` (the logical names to container folders, the environment variables to their values,
the parsed arguments), so it can be run in a test without a container. When the plan's block
already defines that ``main`` it is written as it is; otherwise its ``main`` and its
``if __name__ == "__main__":`` part are replaced (located with `ast`, the rest is kept) by a
``main`` that reads every contract path and variable, and a ``__main__`` part that reads them
from the contract's folders and ``os.environ``.
"""

from __future__ import annotations

import ast

from ..plan import ContractPath, ImplementationPlan
from ..seedformat._code_text import ident, lit
from ..seedformat._script_code import script_block

__all__ = ["STANDARD_MAIN", "script_text"]

STANDARD_MAIN = ("input_paths", "output_paths", "environ_vars", "job_args")


def _is_main_guard(node: ast.stmt) -> bool:
    if not isinstance(node, ast.If) or not isinstance(node.test, ast.Compare):
        return False
    sides = [node.test.left, *node.test.comparators]
    return any(isinstance(s, ast.Name) and s.id == "__name__" for s in sides) and any(
        isinstance(s, ast.Constant) and s.value == "__main__" for s in sides
    )


def _bound(tree: ast.Module) -> set[str]:
    names: set[str] = set()
    for node in tree.body:
        if isinstance(node, ast.Import | ast.ImportFrom):
            names.update((a.asname or a.name).split(".")[0] for a in node.names)
        elif isinstance(node, ast.FunctionDef | ast.ClassDef):
            names.add(node.name)
        elif isinstance(node, ast.Assign):
            names.update(t.id for t in node.targets if isinstance(t, ast.Name))
    return names


def script_text(plan: ImplementationPlan) -> str:
    """The script file's text (the plan's block, with the standard ``main`` when it lacks one)."""
    block = script_block(plan)
    tree = ast.parse(block)
    main = next((n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == "main"), None)
    if main is not None and tuple(a.arg for a in main.args.args) == STANDARD_MAIN:
        return block.rstrip("\n") + "\n"
    lines = block.split("\n")
    for node in sorted(
        (n for n in tree.body if n is main or _is_main_guard(n)),
        key=lambda n: n.lineno,
        reverse=True,
    ):
        decorators = getattr(node, "decorator_list", [])
        first = min([node.lineno, *(d.lineno for d in decorators)])
        del lines[first - 1 : node.end_lineno]
    bound = _bound(tree)
    steps = [
        n.name
        for n in tree.body
        if isinstance(n, ast.FunctionDef) and n.name not in ("main", "parse_args")
    ]
    head = [f"import {m}" for m in ("argparse", "logging", "os", "sys") if m not in bound]
    if "logger" not in bound:
        head.append("logger = logging.getLogger(__name__)")
    if "parse_args" not in bound:
        head += ["", "", *_parse_args(plan)]
    body = "\n".join(lines).rstrip("\n")
    text = _after_imports(body, tree, head) if head else body
    return text + "\n\n\n" + "\n".join(_main(plan, steps, bound)) + "\n"


def _after_imports(body: str, tree: ast.Module, head: list[str]) -> str:
    imports = [n for n in tree.body if isinstance(n, ast.Import | ast.ImportFrom)]
    lines = body.split("\n")
    at = (imports[-1].end_lineno or 0) if imports else 0
    lines[at:at] = head
    return "\n".join(lines)


def _parse_args(plan: ImplementationPlan) -> list[str]:
    arguments = plan.components.script_contract.expected_arguments
    return [
        "def parse_args() -> argparse.Namespace:",
        '    """Parse the command-line arguments the contract expects."""',
        "    parser = argparse.ArgumentParser()",
        *(
            f"    parser.add_argument({lit('--' + a.lstrip('-'))}, default={lit(v)})"
            for a, v in arguments.items()
        ),
        "    return parser.parse_args()",
    ]


def _main(plan: ImplementationPlan, steps: list[str], bound: set[str]) -> list[str]:
    contract = plan.components.script_contract
    step = ident(plan.step_name, "Step")
    inputs = [p.logical_name for p in contract.input_paths]
    outputs = [p.logical_name for p in contract.output_paths]
    required, optional = contract.required_env_vars, contract.optional_env_vars

    def mapping(var: str, rows: list[str]) -> list[str]:
        return [f"    {var} = {{", *(f"        {row}," for row in rows), "    }"]

    return [
        f"def main({', '.join(STANDARD_MAIN)}):",
        f'    """Run {step}: ``input_paths`` and ``output_paths`` map the contract\'s logical names',
        "    to container folders, ``environ_vars`` its environment variables to their values,",
        '    ``job_args`` holds the parsed arguments. Returns the exit code."""',
        *mapping("inputs", [f"{lit(n)}: input_paths[{lit(n)}]" for n in inputs]),
        *mapping("outputs", [f"{lit(n)}: output_paths[{lit(n)}]" for n in outputs]),
        *mapping(
            "settings",
            [f"{lit(v)}: environ_vars[{lit(v)}]" for v in required]
            + [f"{lit(v)}: environ_vars.get({lit(v)}, {lit(d)})" for v, d in optional.items()],
        ),
        "    logger.info(",
        f'        "{step}: inputs=%s outputs=%s settings=%s args=%s",',
        "        inputs,",
        "        outputs,",
        "        settings,",
        "        job_args,",
        "    )",
        *(f"    # {i}. {fn}(...)" for i, fn in enumerate(steps, 1)),
        "    return 0",
        "",
        "",
        'if __name__ == "__main__":',
        "    try:",
        "        environ_vars = {",
        *(f"            {lit(v)}: os.environ[{lit(v)}]," for v in required),
        *(
            f"            {lit(v)}: os.environ.get({lit(v)}, {lit(d)}),"
            for v, d in optional.items()
        ),
        "        }",
        "        exit_code = main(",
        f"            {_paths('INPUT_PATHS', contract.input_paths, bound)},",
        f"            {_paths('OUTPUT_PATHS', contract.output_paths, bound)},",
        "            environ_vars,",
        "            parse_args(),",
        "        )",
        "    except Exception:",
        f"        logger.exception({lit(f'{step} failed')})",
        "        exit_code = 1",
        "    sys.exit(exit_code)",
    ]


def _paths(constant: str, paths: list[ContractPath], bound: set[str]) -> str:
    if constant in bound:
        return f"dict({constant})"
    return "{" + ", ".join(f"{lit(p.logical_name)}: {lit(p.container_path)}" for p in paths) + "}"
