"""Feint's zoo architectures in PyTorch, and a check that Feint's weights files load into them.

Every class below follows Models/README.md. The script loads each Models/*.safetensors with
`load_state_dict(strict=True)` unchanged, rebuilds the normalisation from `__metadata__`, measures
accuracy on its data set's test split (Fashion-MNIST: the bundled IDX files; CIFAR-10: the JPEG
class folders of shared/datasets/cifar10/test beside the repository, or $FEINT_CIFAR10/test,
decoded with Pillow) and compares it with the accuracy Feint recorded in Models/zoo.json.
Matching accuracies mean names, layouts and the order of operations agree.

    python3 -m venv /tmp/torchref && /tmp/torchref/bin/pip install torch safetensors numpy pillow
    /tmp/torchref/bin/python Models/pytorch_reference.py            # from the repository root

With `--epoch-timing [THREADS]` it instead times one training epoch of SmallCNN with Feint's
recipe (55 000 images, batch 128, SGD momentum 0.9, weight decay 5e-4, random crop after 2-pixel
padding), to set beside `feint zoo train fmnist-smallcnn --epochs 1 --output /tmp/e.safetensors
--force` on the same machine. With `--step-timing SPEC.json [THREADS] [SECONDS]` it times training
steps of any catalogued architecture (`feint zoo describe NAME --spec > SPEC.json`) on a random
batch of 128.
"""
import gzip, json, os, sys
import numpy as np
import torch, torch.nn as nn, torch.nn.functional as F
from safetensors import safe_open
from safetensors.torch import load_file


class SmallCNN(nn.Module):
    def __init__(s, c=1, size=28, n=10):
        super().__init__()
        s.conv1, s.conv2 = nn.Conv2d(c, 32, 3), nn.Conv2d(32, 32, 3)
        s.conv3, s.conv4 = nn.Conv2d(32, 64, 3), nn.Conv2d(64, 64, 3)
        side = ((size - 4) // 2 - 4) // 2
        s.fc1, s.fc2, s.fc3 = nn.Linear(64 * side * side, 200), nn.Linear(200, 200), nn.Linear(200, n)

    def forward(s, x):
        x = F.max_pool2d(F.relu(s.conv2(F.relu(s.conv1(x)))), 2)
        x = F.max_pool2d(F.relu(s.conv4(F.relu(s.conv3(x)))), 2)
        return s.fc3(F.relu(s.fc2(F.relu(s.fc1(x.flatten(1))))))


class LeNet5(nn.Module):
    def __init__(s, c=1, size=28, n=10):
        super().__init__()
        s.conv1, s.conv2 = nn.Conv2d(c, 6, 5, padding=(32 - size) // 2), nn.Conv2d(6, 16, 5)
        s.fc1, s.fc2, s.fc3 = nn.Linear(400, 120), nn.Linear(120, 84), nn.Linear(84, n)

    def forward(s, x):
        x = F.max_pool2d(F.relu(s.conv1(x)), 2)
        x = F.max_pool2d(F.relu(s.conv2(x)), 2)
        return s.fc3(F.relu(s.fc2(F.relu(s.fc1(x.flatten(1))))))


class BasicBlock(nn.Module):
    def __init__(s, i, o, stride):
        super().__init__()
        s.conv1, s.bn1 = nn.Conv2d(i, o, 3, stride, 1, bias=False), nn.BatchNorm2d(o)
        s.conv2, s.bn2 = nn.Conv2d(o, o, 3, 1, 1, bias=False), nn.BatchNorm2d(o)
        s.downsample = (nn.Sequential(nn.Conv2d(i, o, 1, stride, bias=False), nn.BatchNorm2d(o))
                        if stride != 1 or i != o else None)

    def forward(s, x):
        h = s.bn2(s.conv2(F.relu(s.bn1(s.conv1(x)))))
        return F.relu(h + (s.downsample(x) if s.downsample is not None else x))


class ResNet(nn.Module):
    def __init__(s, c=1, n=10, blocks=1, width=16):
        super().__init__()
        s.conv1, s.bn1 = nn.Conv2d(c, width, 3, 1, 1, bias=False), nn.BatchNorm2d(width)
        ch = width
        for stage in range(3):
            out, layer = width << stage, []
            for b in range(blocks):
                layer.append(BasicBlock(ch, out, 2 if stage > 0 and b == 0 else 1)); ch = out
            setattr(s, f"layer{stage + 1}", nn.Sequential(*layer))
        s.fc = nn.Linear(ch, n)

    def forward(s, x):
        x = F.relu(s.bn1(s.conv1(x)))
        x = s.layer3(s.layer2(s.layer1(x)))
        return s.fc(x.mean((2, 3)))


class VGG(nn.Module):
    def __init__(s, c=1, n=10, widths=(32, 64, 128)):
        super().__init__()
        layers, ch = [], c
        for k, w in enumerate(widths):
            for _ in range(2):
                layers += [nn.Conv2d(ch, w, 3, padding=1), nn.BatchNorm2d(w), nn.ReLU()]; ch = w
            if k < len(widths) - 1:
                layers.append(nn.MaxPool2d(2))
        s.features, s.classifier = nn.Sequential(*layers), nn.Linear(ch, n)

    def forward(s, x):
        return s.classifier(s.features(x).mean((2, 3)))


class MobileNet(nn.Module):
    plan = [(64, 1), (128, 2), (128, 1), (256, 2), (256, 1)]

    def __init__(s, c=1, n=10):
        super().__init__()
        s.stem = nn.Sequential(nn.Conv2d(c, 32, 3, 1, 1, bias=False), nn.BatchNorm2d(32))
        s.blocks, ch = nn.ModuleList(), 32
        for out, stride in s.plan:
            b = nn.Module()
            b.dw = nn.Sequential(nn.Conv2d(ch, ch, 3, stride, 1, groups=ch, bias=False), nn.BatchNorm2d(ch))
            b.pw = nn.Sequential(nn.Conv2d(ch, out, 1, bias=False), nn.BatchNorm2d(out))
            s.blocks.append(b); ch = out
        s.fc = nn.Linear(ch, n)

    def forward(s, x):
        x = F.relu(s.stem(x))
        for b in s.blocks:
            x = F.relu(b.pw(F.relu(b.dw(x))))
        return s.fc(x.mean((2, 3)))


class Mlp(nn.Module):
    def __init__(s, d, h):
        super().__init__(); s.fc1, s.fc2 = nn.Linear(d, h), nn.Linear(h, d)

    def forward(s, x):
        return s.fc2(F.gelu(s.fc1(x)))   # exact (erf) GELU


class Attention(nn.Module):
    def __init__(s, d, heads):
        super().__init__(); s.heads, s.qkv, s.proj = heads, nn.Linear(d, 3 * d), nn.Linear(d, d)

    def forward(s, x):
        b, t, d = x.shape
        q, k, v = s.qkv(x).reshape(b, t, 3, s.heads, d // s.heads).permute(2, 0, 3, 1, 4)
        a = ((q @ k.transpose(-2, -1)) / (d // s.heads) ** 0.5).softmax(-1)
        return s.proj((a @ v).transpose(1, 2).reshape(b, t, d))


class Block(nn.Module):
    def __init__(s, d, heads, hidden):
        super().__init__()
        s.norm1, s.attn = nn.LayerNorm(d, eps=1e-6), Attention(d, heads)
        s.norm2, s.mlp = nn.LayerNorm(d, eps=1e-6), Mlp(d, hidden)

    def forward(s, x):
        x = x + s.attn(s.norm1(x))
        return x + s.mlp(s.norm2(x))


class ViT(nn.Module):
    def __init__(s, c=1, size=28, patch=4, width=64, depth=4, heads=4, hidden=128, n=10):
        super().__init__()
        s.patch_embed = nn.Module(); s.patch_embed.proj = nn.Conv2d(c, width, patch, patch)
        tokens = (size // patch) ** 2
        s.cls_token = nn.Parameter(torch.zeros(1, 1, width))
        s.pos_embed = nn.Parameter(torch.zeros(1, tokens + 1, width))
        s.blocks = nn.Sequential(*[Block(width, heads, hidden) for _ in range(depth)])
        s.norm, s.head = nn.LayerNorm(width, eps=1e-6), nn.Linear(width, n)

    def forward(s, x):
        x = s.patch_embed.proj(x).flatten(2).transpose(1, 2)
        x = torch.cat([s.cls_token.expand(x.shape[0], -1, -1), x], 1) + s.pos_embed
        return s.head(s.norm(s.blocks(x))[:, 0])


class MixerBlock(nn.Module):
    def __init__(s, tokens, d, token_hidden, channel_hidden):
        super().__init__()
        s.norm1, s.mlp_tokens = nn.LayerNorm(d, eps=1e-6), Mlp(tokens, token_hidden)
        s.norm2, s.mlp_channels = nn.LayerNorm(d, eps=1e-6), Mlp(d, channel_hidden)

    def forward(s, x):
        x = x + s.mlp_tokens(s.norm1(x).transpose(1, 2)).transpose(1, 2)
        return x + s.mlp_channels(s.norm2(x))


class Mixer(nn.Module):
    def __init__(s, c=1, size=28, patch=4, width=64, depth=4, token_hidden=64, channel_hidden=128, n=10):
        super().__init__()
        s.stem = nn.Module(); s.stem.proj = nn.Conv2d(c, width, patch, patch)
        tokens = (size // patch) ** 2
        s.blocks = nn.Sequential(*[MixerBlock(tokens, width, token_hidden, channel_hidden) for _ in range(depth)])
        s.norm, s.head = nn.LayerNorm(width, eps=1e-6), nn.Linear(width, n)

    def forward(s, x):
        x = s.blocks(s.stem.proj(x).flatten(2).transpose(1, 2))
        return s.head(s.norm(x).mean(1))


def build(spec):
    """The PyTorch module for a Feint `feint.spec` (the JSON in a weights file's metadata)."""
    c, size, n = spec["inputShape"][0], spec["inputShape"][1], len(spec["classNames"])
    a = spec["architecture"]
    if a == "smallcnn": return SmallCNN(c, size, n)
    if a == "lenet5": return LeNet5(c, size, n)
    if a == "resnet": return ResNet(c, n, spec.get("blocksPerStage", 1), spec.get("width", 16))
    if a == "vgg": return VGG(c, n, tuple(spec.get("widths", [32, 64, 128])))
    if a == "mobilenet": return MobileNet(c, n)
    if a == "vit":
        return ViT(c, size, spec.get("patchSize", 4), spec.get("width", 64), spec.get("depth", 4),
                   spec.get("heads", 4), spec.get("mlpHidden", 128), n)
    if a == "mixer":
        return Mixer(c, size, spec.get("patchSize", 4), spec.get("width", 64), spec.get("depth", 4),
                     spec.get("tokenHidden", 64), spec.get("mlpHidden", 128), n)
    raise ValueError(f"unknown architecture {a}")


def idx(path):
    data = gzip.open(path).read()
    rank = data[3]
    shape = [int.from_bytes(data[4 + 4 * i: 8 + 4 * i], "big") for i in range(rank)]
    return np.frombuffer(data, np.uint8, offset=4 + 4 * rank).reshape(shape)


def epoch_timing(threads):
    import time
    torch.set_num_threads(threads)
    root = "/usr/share/datasets/fashion-mnist"
    x = torch.tensor(idx(f"{root}/train-images-idx3-ubyte.gz") / 255.0, dtype=torch.float32)[:, None]
    y = torch.tensor(idx(f"{root}/train-labels-idx1-ubyte.gz").astype(np.int64))
    g = torch.Generator().manual_seed(0)
    order = torch.randperm(len(x), generator=g)
    x, y = x[order[5000:]], y[order[5000:]]          # 55 000 training images, as Feint's split
    model = SmallCNN().train()
    opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9, weight_decay=5e-4)
    start = time.perf_counter()
    perm = torch.randperm(len(x), generator=g)
    for step in range(len(x) // 128):
        b = perm[step * 128:(step + 1) * 128]
        xb = F.pad(x[b], (2, 2, 2, 2))
        dy, dx = torch.randint(0, 5, (2,), generator=g).tolist()
        xb = xb[:, :, dy:dy + 28, dx:dx + 28]     # one random crop per batch (Feint crops per image)
        xb = (xb - 0.2860) / 0.3530
        opt.zero_grad(); F.cross_entropy(model(xb), y[b]).backward(); opt.step()
    seconds = time.perf_counter() - start
    print(f"torch {torch.__version__} threads={threads}: one SmallCNN epoch (429 steps of 128) in {seconds:.1f} s "
          f"({429 * 128 / seconds:.0f} img/s)")


def test_split(root, dataset, classes):
    """(images in [0, 1] as N×C×H×W, labels) of a data set's test split."""
    if dataset == "cifar10":
        from PIL import Image
        folder = os.environ.get("FEINT_CIFAR10", os.path.join(os.path.dirname(root), "shared/datasets/cifar10"))
        pixels, labels = [], []
        for label, name in enumerate(classes):
            for file in sorted(os.listdir(f"{folder}/test/{name}")):
                pixels.append(np.asarray(Image.open(f"{folder}/test/{name}/{file}").convert("RGB")))
                labels.append(label)
        images = torch.tensor(np.stack(pixels) / 255.0, dtype=torch.float32).permute(0, 3, 1, 2).contiguous()
        return images, torch.tensor(labels)
    images = torch.tensor(idx(f"{root}/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz") / 255.0, dtype=torch.float32)[:, None]
    return images, torch.tensor(idx(f"{root}/datasets/fashion-mnist/t10k-labels-idx1-ubyte.gz").astype(np.int64))


def step_timing(spec_file, threads, seconds):
    """Training steps per second of any zoo architecture on a fixed random batch of 128 (SGD,
    momentum 0.9): PyTorch's bare step, to set beside `feint zoo train NAME`'s img/s, which also
    covers Feint's data pipeline and augmentation."""
    import time
    torch.set_num_threads(threads)
    spec = json.load(open(spec_file))
    model = build(spec).train()
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    g = torch.Generator().manual_seed(0)
    x = torch.rand([128] + spec["inputShape"], generator=g)
    y = torch.randint(0, len(spec["classNames"]), (128,), generator=g)
    def step():
        opt.zero_grad(); F.cross_entropy(model(x), y).backward(); opt.step()
    for _ in range(3): step()
    steps, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        step(); steps += 1
    rate = steps * 128 / (time.perf_counter() - start)
    print(f"torch {torch.__version__} threads={threads}: {spec['architecture']} {spec['inputShape']} training step, batch 128: {rate:.0f} img/s")


def main():
    if len(sys.argv) > 1 and sys.argv[1] == "--epoch-timing":
        return epoch_timing(int(sys.argv[2]) if len(sys.argv) > 2 else 2)
    if len(sys.argv) > 2 and sys.argv[1] == "--step-timing":
        return step_timing(sys.argv[2], int(sys.argv[3]) if len(sys.argv) > 3 else 1, float(sys.argv[4]) if len(sys.argv) > 4 else 30)
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    splits = {}
    recorded = {m["name"]: m for m in json.load(open(f"{root}/Models/zoo.json"))["models"]}
    print("| model | tensors | PyTorch test accuracy | Feint recorded | agree |")
    print("|---|---:|---:|---:|---|")
    ok = True
    for name, record in sorted(recorded.items()):
        path = f"{root}/Models/{record['file']}"
        with safe_open(path, "pt") as f:
            meta, names = f.metadata(), list(f.keys())
        spec = json.loads(meta["feint.spec"])
        model = build(spec).eval()
        model.load_state_dict(load_file(path), strict=True)
        dataset = record.get("dataset", "fashion-mnist")
        if dataset not in splits:
            splits[dataset] = test_split(root, dataset, spec["classNames"])
        images, labels = splits[dataset]
        mean = torch.tensor(spec["mean"]).view(1, -1, 1, 1); std = torch.tensor(spec["std"]).view(1, -1, 1, 1)
        with torch.no_grad():
            predicted = torch.cat([model((images[i:i + 500] - mean) / std).argmax(1) for i in range(0, len(images), 500)])
        acc = (predicted == labels).float().mean().item()
        agree = abs(acc - record["testAccuracy"]) <= 0.0005
        ok &= agree
        print(f"| {name} | {len(names)} | {100 * acc:.2f} % | {100 * record['testAccuracy']:.2f} % | {'yes' if agree else 'NO'} |")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
