"""The base of every step builder (it builds a SageMaker step from a config and a spec)."""


class StepBuilderBase:
    """Turns a config and a step specification into a SageMaker pipeline step."""
