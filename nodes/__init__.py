"""ComfyUI adapter: thin node classes over the `samplers` core."""
from .patches import SamplerLabCADS, SamplerLabCFGRescale
from .sampling import SamplerLabHeunChurn, SamplerLabKSampler
from .schedules import SamplerLabKarrasSigmas, SamplerLabSpacingSigmas, SamplerLabZeroTerminalSNR

NODE_CLASS_MAPPINGS = {cls.__name__: cls for cls in (
    SamplerLabKarrasSigmas, SamplerLabSpacingSigmas, SamplerLabZeroTerminalSNR,
    SamplerLabHeunChurn, SamplerLabKSampler, SamplerLabCFGRescale, SamplerLabCADS,
)}

NODE_DISPLAY_NAME_MAPPINGS = {
    "SamplerLabKarrasSigmas": "Karras Sigmas ρ (Sampler Lab)",
    "SamplerLabSpacingSigmas": "Timestep Spacing Sigmas (Sampler Lab)",
    "SamplerLabZeroTerminalSNR": "Zero Terminal SNR (Sampler Lab)",
    "SamplerLabHeunChurn": "Heun + Churn Sampler (Sampler Lab)",
    "SamplerLabKSampler": "EDM KSampler (Sampler Lab)",
    "SamplerLabCFGRescale": "CFG Rescale (Sampler Lab)",
    "SamplerLabCADS": "CADS (Sampler Lab)",
}
