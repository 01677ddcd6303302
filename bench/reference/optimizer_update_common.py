"""Shared by the optimizer-update references: the parameter shapes of all-MiniLM-L6-v2 plus a 2-label head
(22.7 M float32 weights; bench/cases/optimizer-update.ts builds the same list) and the timing loop."""
import statistics
import time


def minilm_shapes(hidden=384, layers=6, ffn=1536, vocab=30522, positions=512, labels=2):
    shapes = [("word", (vocab, hidden)), ("position", (positions, hidden)), ("type", (2, hidden)),
              ("emb_ln.w", (hidden,)), ("emb_ln.b", (hidden,))]
    for i in range(layers):
        for name in ("q", "k", "v", "o"):
            shapes += [(f"{i}.{name}.w", (hidden, hidden)), (f"{i}.{name}.b", (hidden,))]
        shapes += [(f"{i}.ln1.w", (hidden,)), (f"{i}.ln1.b", (hidden,)), (f"{i}.up.w", (ffn, hidden)), (f"{i}.up.b", (ffn,)),
                   (f"{i}.down.w", (hidden, ffn)), (f"{i}.down.b", (hidden,)), (f"{i}.ln2.w", (hidden,)), (f"{i}.ln2.b", (hidden,))]
    shapes += [("pooler.w", (hidden, hidden)), ("pooler.b", (hidden,)), ("head.w", (labels, hidden)), ("head.b", (labels,))]
    return shapes


def time_updates(update, steps):
    """Median wall and process CPU ms of `update()` over `steps` calls, after 2 that warm allocator caches."""
    wall, cpu = [], []
    for s in range(steps + 2):
        w0, c0 = time.perf_counter(), time.process_time()
        update()
        if s >= 2:
            wall.append((time.perf_counter() - w0) * 1e3)
            cpu.append((time.process_time() - c0) * 1e3)
    return statistics.median(wall), statistics.median(cpu)
