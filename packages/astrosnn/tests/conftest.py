import torch

# small recurrent loops run fastest on one thread, and a shared 2-core machine makes more threads contend
torch.set_num_threads(1)
