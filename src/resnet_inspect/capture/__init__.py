"""Everything that touches torch: building models, weights, the structure pass, the real
step, the autograd pass and the checks made before a step. The one folder where torch is
imported at module level; what leaves it is plain records (``resnet_inspect.records``)."""
