"""Fusion: which nodes of a specialized graph fuse into prim::FusionGroup, the specialization strategy, guards and strict_fusion (built by the fuser issue)."""
