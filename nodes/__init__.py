"""ComfyUI adapter: thin node classes over the `samplers` core. NODES is the one list of the pack's nodes."""

from .patches import SamplerLabCADS, SamplerLabCFGRescale
from .sampling import SamplerLabHeunChurn, SamplerLabKSampler
from .schedules import SamplerLabKarrasSigmas, SamplerLabSpacingSigmas, SamplerLabZeroTerminalSNR

NODES = (
    SamplerLabKarrasSigmas,
    SamplerLabSpacingSigmas,
    SamplerLabZeroTerminalSNR,
    SamplerLabHeunChurn,
    SamplerLabKSampler,
    SamplerLabCFGRescale,
    SamplerLabCADS,
)
