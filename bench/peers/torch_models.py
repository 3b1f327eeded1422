"""The paper's networks in PyTorch, with the parameter names of agf's checkpoints (docs/CONTRIBUTING.md),
so that `model.load_state_dict(safetensors.torch.load_file(ckpt))` loads what our engine writes.

DCNN (Kim et al. 2018, Table 2; ../../../shared/paper-notes.md), input (N, 1, 128 mel, 43 frames):
  conv1 16@5x5 ELU, pool 2x1 -> conv2 32@3x3 bn2 ELU pool 2x2 dropout .1 -> conv3 64 ELU pool 2x2
  -> conv4 64 bn4 ELU pool 2x2 dropout .1 -> conv5 128 ELU pool 2x2 -> conv6 256 ELU
  -> conv7 256@1x1 bn7 ELU -> GAP -> bn_gap -> fc1 256 bn_fc1 ELU (transfer feature) -> dropout .5 -> fc2 N.
'same' zero padding, stride 1, every conv and dense with bias, max-pool 'valid' (floor).
BatchNorm: momentum 0.01 (Keras 0.99), eps 1e-3. MTN: `shared.conv1.*`, then `<task>.<name>` per branch.
MLP: dropout .5 -> fc1 1024 ELU -> dropout .5 -> fc2 16.
`python torch_models.py` prints the parameter counts.
"""
import torch
import torch.nn as nn
import torch.nn.functional as F

BN_MOMENTUM = 0.01
BN_EPS = 1e-3
TASK_OUTPUTS = {"g": 16, "m": 40, "d": 40, "e": 40, "s": 40}


def bn2d(c):
    return nn.BatchNorm2d(c, eps=BN_EPS, momentum=BN_MOMENTUM)


def bn1d(c):
    return nn.BatchNorm1d(c, eps=BN_EPS, momentum=BN_MOMENTUM)


def conv(cin, cout, k):
    return nn.Conv2d(cin, cout, k, padding=k // 2, bias=True)  # 'same' for odd k, stride 1


class Block1(nn.Module):
    """conv1 16@5x5 + ELU + max-pool 2x1 (frequency only): (N,1,128,43) -> (N,16,64,43)."""

    def __init__(self, width=1.0):
        super().__init__()
        self.conv1 = conv(1, int(round(16 * width)), 5)

    def forward(self, x):
        return F.max_pool2d(F.elu(self.conv1(x)), (2, 1))


class Trunk(nn.Module):
    """Everything after block 1: (N,16,64,43) -> logits (N, outputs). `feature` keeps the 256-d activation."""

    def __init__(self, outputs=16, width=1.0, p_conv=0.1, p_fc=0.5):
        super().__init__()
        c = [int(round(v * width)) for v in (16, 32, 64, 64, 128, 256, 256, 256)]
        self.conv2, self.bn2 = conv(c[0], c[1], 3), bn2d(c[1])
        self.conv3 = conv(c[1], c[2], 3)
        self.conv4, self.bn4 = conv(c[2], c[3], 3), bn2d(c[3])
        self.conv5 = conv(c[3], c[4], 3)
        self.conv6 = conv(c[4], c[5], 3)
        self.conv7, self.bn7 = conv(c[5], c[6], 1), bn2d(c[6])
        self.bn_gap = bn1d(c[6])
        self.fc1, self.bn_fc1 = nn.Linear(c[6], c[7]), bn1d(c[7])
        self.fc2 = nn.Linear(c[7], outputs)
        self.drop2, self.drop4, self.drop_fc = nn.Dropout(p_conv), nn.Dropout(p_conv), nn.Dropout(p_fc)
        self.feature = None

    def forward(self, x):
        x = self.drop2(F.max_pool2d(F.elu(self.bn2(self.conv2(x))), 2))   # (N,32,32,21)
        x = F.max_pool2d(F.elu(self.conv3(x)), 2)                          # (N,64,16,10)
        x = self.drop4(F.max_pool2d(F.elu(self.bn4(self.conv4(x))), 2))   # (N,64,8,5)
        x = F.max_pool2d(F.elu(self.conv5(x)), 2)                          # (N,128,4,2)
        x = F.elu(self.conv6(x))                                           # (N,256,4,2)
        x = F.elu(self.bn7(self.conv7(x)))                                 # (N,256,4,2)
        x = self.bn_gap(x.mean(dim=(2, 3)))                                # (N,256)
        self.feature = F.elu(self.bn_fc1(self.fc1(x)))                     # (N,256) transfer feature
        return self.fc2(self.drop_fc(self.feature))                        # (N,outputs)


class DCNN(Trunk):
    """Single-task net: conv1 (block 1) then the Trunk; flat parameter names conv1..conv7, bn2, bn4, bn7,
    bn_gap, bn_fc1, fc1, fc2 as our checkpoints."""

    def __init__(self, outputs=16, width=1.0, p_conv=0.1, p_fc=0.5):
        super().__init__(outputs, width, p_conv, p_fc)
        self.conv1 = conv(1, int(round(16 * width)), 5)

    def forward(self, x):
        return super().forward(F.max_pool2d(F.elu(self.conv1(x)), (2, 1)))  # (N,16,64,43) into block 2


class MTN(nn.Module):
    """Multi-task net: block 1 shared (`shared.conv1.*`), one Trunk per task (`g.conv2.weight`, ...)."""

    def __init__(self, tasks="gm", p_conv=0.1, p_fc=0.5):
        super().__init__()
        assert 2 <= len(tasks) <= 5 and all(t in TASK_OUTPUTS for t in tasks), tasks
        self.tasks = list(tasks)
        self.shared = Block1()
        for t in self.tasks:
            setattr(self, t, Trunk(TASK_OUTPUTS[t], 1.0, p_conv, p_fc))

    def forward(self, x, task):
        return getattr(self, task)(self.shared(x))


class MLP(nn.Module):
    """Transfer MLP: dropout .5 -> fc1 1024 ELU -> dropout .5 -> fc2 (16)."""

    def __init__(self, inputs=1280, hidden=1024, outputs=16, p=0.5):
        super().__init__()
        self.drop_in, self.drop_hidden = nn.Dropout(p), nn.Dropout(p)
        self.fc1, self.fc2 = nn.Linear(inputs, hidden), nn.Linear(hidden, outputs)
        self.hidden = None

    def forward(self, x):
        self.hidden = F.elu(self.fc1(self.drop_in(x)))
        return self.fc2(self.drop_hidden(self.hidden))


def disable_dropout(model):
    """Dropout p = 0 everywhere (fixtures: training-mode BN without random masks)."""
    for m in model.modules():
        if isinstance(m, nn.Dropout):
            m.p = 0.0
    return model


def soft_cross_entropy(logits, target):
    """Mean over the batch of -sum_k t_k log softmax(z)_k (soft targets; one-hot as a special case)."""
    return -(target * F.log_softmax(logits, dim=1)).sum(dim=1).mean()


def l2_weights(model, coef=1e-5):
    """coef * sum of squared conv and dense weights (not biases, not batch-norm parameters)."""
    total = 0.0
    for m in model.modules():
        if isinstance(m, (nn.Conv2d, nn.Linear)):
            total = total + (m.weight ** 2).sum()
    return coef * total


def count(model):
    return sum(p.numel() for p in model.parameters())


if __name__ == "__main__":
    print("DCNN-16 parameters:", count(DCNN(16)))
    print("DCNN-40 parameters:", count(DCNN(40)))
    print("MTN gmdes parameters:", count(MTN("gmdes")))
    print("MTN gm parameters:", count(MTN("gm")))
    print("MLP 1280 -> 16 parameters:", count(MLP(1280)))
    m = DCNN(16)
    print("DCNN state dict:", ", ".join(f"{k}{list(v.shape)}" for k, v in m.state_dict().items()
                                        if not k.endswith("num_batches_tracked")))
    print("MTN gm state dict (first):", ", ".join(list(MTN("gm").state_dict())[:6]), "...")
