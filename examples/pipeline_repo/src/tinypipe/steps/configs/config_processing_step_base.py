"""The base of every processing step's config (its fields are the SageMaker settings)."""

from pydantic import BaseModel


class ProcessingStepConfigBase(BaseModel):
    """Fields shared by processing steps: instance type and count, volume size, ..."""

    processing_instance_count: int = 1
    processing_volume_size: int = 500
    processing_instance_type_large: str = "ml.m5.4xlarge"
    processing_instance_type_small: str = "ml.m5.2xlarge"
    use_large_processing_instance: bool = False
