"""A tiny model trained end to end with provenance: no download, no GPU, pure Python.

Against a running service (`make serve`, or PROVGRAPH_URL), from inside a git checkout:

    python examples/train_tiny.py --workdir /tmp/tiny

records a dataset, a training run (git, environment and NVML capture; 1,000 steps of
loss) that registers `tiny:v1`, a fine-tuning run that reads its data and base model with
`run.use` (verified local copies, recorded as its inputs) and registers `tiny:v2`, and an
evaluation of v2. Then try `provgraph lineage tiny:v2`, `provgraph describe tiny:v2`,
`provgraph compare tiny:v1 tiny:v2` and `provgraph verify tiny:v2`.
"""

from __future__ import annotations

import argparse
import json
import random
from pathlib import Path

import provgraph


def make_data(folder: Path, n: int, seed: int) -> Path:
    """Points of y = 3x + 2 with noise, as CSV shards."""
    rng = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    for shard in range(2):
        rows = [(x, 3 * x + 2 + rng.gauss(0, 0.1)) for x in (rng.uniform(-1, 1) for _ in range(n // 2))]
        (folder / f"shard-{shard}.csv").write_text("".join(f"{x:.6f},{y:.6f}\n" for x, y in rows))
    return folder


def load(folder: Path) -> list[tuple[float, float]]:
    return [tuple(map(float, line.split(","))) for f in sorted(folder.glob("*.csv"))  # type: ignore[misc]
            for line in f.read_text().splitlines()]


def train(run: provgraph.sdk.Run, data: list[tuple[float, float]], w: float, b: float, lr: float,
          steps: int, seed: int) -> tuple[float, float, float]:
    """Stochastic gradient descent on mean squared error, logging every step."""
    rng = random.Random(seed)
    loss = 0.0
    for step in range(steps):
        batch = rng.sample(data, 16)
        errors = [(w * x + b - y, x) for x, y in batch]
        loss = sum(e * e for e, _ in errors) / len(errors)
        w -= lr * 2 * sum(e * x for e, x in errors) / len(errors)
        b -= lr * 2 * sum(e for e, _ in errors) / len(errors)
        run.log_metrics({"loss": loss, "lr": lr}, step=step)
    return w, b, loss


def save(path: Path, w: float, b: float) -> Path:
    path.write_text(json.dumps({"w": w, "b": b}) + "\n")
    return path


def evaluate(w: float, b: float, data: list[tuple[float, float]]) -> float:
    return sum((w * x + b - y) ** 2 for x, y in data) / len(data)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--workdir", type=Path, default=Path("tiny-run"))
    parser.add_argument("--steps", type=int, default=1000)
    args = parser.parse_args(argv)
    client = provgraph.Client()
    train_dir = make_data(args.workdir / "train", 400, seed=1)
    test_dir = make_data(args.workdir / "test", 100, seed=2)
    data = client.register_dataset("tiny-points", files=[train_dir], stats={"samples": 400})
    test = client.register_dataset("tiny-points-test", files=[test_dir], stats={"samples": 100})
    points = load(train_dir)

    with client.start_run("train", inputs={"train": data}, params={"lr": 0.05, "epochs": 40, "batch": 16}) as run:
        run.log_seeds({"python": 1})
        w, b, loss = train(run, points, 0.0, 0.0, lr=0.05, steps=args.steps, seed=1)
        v1 = run.log_model("tiny", files={"checkpoint": save(args.workdir / "tiny-v1.json", w, b)},
                           metrics={"loss": loss})
    assert v1 is not None  # None only on a distributed rank that does not record
    # The fine-tune names no inputs and no parents: what it use()s is recorded as its inputs
    # (train, base_model), and the model it logs derives from the model it used.
    with client.start_run("finetune", params={"lr": 0.01, "epochs": 10, "batch": 16}) as run:
        points = load(run.use(data, role="train").path)
        base = json.loads((run.use(v1, role="base_model") / "tiny-v1.json").read_text())
        w, b, loss = train(run, points, base["w"], base["b"], lr=0.01, steps=args.steps // 4, seed=2)
        v2 = run.log_model("tiny", files={"checkpoint": save(args.workdir / "tiny-v2.json", w, b)},
                           metrics={"loss": loss})
    assert v2 is not None
    client.record_evaluation(v2, dataset=test, metrics={"mse": evaluate(w, b, load(test_dir))})
    print(f"registered {v1.label} and {v2.label} (w={w:.3f}, b={b:.3f}, final loss {loss:.4f})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
