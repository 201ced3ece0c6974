"""Where a model comes from: a torchvision architecture (torchvision), timm's family
(timm_models), a checkpoint's inferred configuration (infer), the user's code or a module
(source, which resolves every kind), and the weights put in it (weights, hub)."""
