import torch

# The twins are tiny: one thread avoids oversubscription on shared 2-core machines.
torch.set_num_threads(1)
