"""Shared by the fine-tuning references of bench/finetune-hf.ts: reads the examples our Trainer trains on
(bench/cases/finetune-data.ts wrote them: token ids after our tokenizer, class ids, our epoch-0 batch plan
and the training settings) and times training steps the same way on every side: steady state, from the end
of the first optimizer step to the end of the last, by wall clock and process CPU."""
import argparse
import json
import time


def parse_args():
    p = argparse.ArgumentParser()
    p.add_argument("--data", required=True)
    p.add_argument("--model", required=True)
    p.add_argument("--mode", choices=["full", "lora"], default="full")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--workdir", required=True)
    return p.parse_args()


def load_data(path):
    with open(path) as f:
        return json.load(f)


class StepClock:
    """Marks the end of each optimizer step with the samples and real tokens it trained on."""

    def __init__(self):
        self.marks = []  # (wall, cpu, samples, tokens) at the end of each step

    def mark(self, samples, tokens):
        self.marks.append((time.perf_counter(), time.process_time(), samples, tokens))

    def summary(self):
        if len(self.marks) < 3:
            raise RuntimeError(f"need at least 3 steps to time, got {len(self.marks)}")
        (w0, c0, _, _), (w1, c1, _, _) = self.marks[0], self.marks[-1]
        steps = len(self.marks) - 1
        samples = sum(m[2] for m in self.marks[1:])
        tokens = sum(m[3] for m in self.marks[1:])
        return {
            "steps": len(self.marks),
            "timedSteps": steps,
            "samplesPerSecond": samples / (w1 - w0),
            "tokensPerSecond": tokens / (w1 - w0),
            "msPerStep": 1000 * (w1 - w0) / steps,
            "cpuSecondsPerStep": (c1 - c0) / steps,
        }


def accuracy(predicted, labels):
    return sum(int(p == y) for p, y in zip(predicted, labels)) / len(labels)
