"""Python side of `mp bench --compare-python`: the workloads of shared/bench/py_baseline.py, plus the
idle worker's memory and the map scale table, under the names and units mp bench prints.

Usage: python3 py_bench.py [--start-method spawn|fork|forkserver] [--quick]
Writes one JSON line per measurement to stdout: {"name": ..., "value": ..., "unit": ...}.
The default start method is spawn (the one that starts fresh interpreters, like our worker processes).
"""
import argparse
import json
import multiprocessing
import os
import time


def identity(x):
    return x


def square(x):
    return x * x


def noop():
    pass


def worker_pid():
    return os.getpid()


def burn(n):
    total = 0
    for i in range(n):
        total += i * i % 7
    return total


def dict_writer(shared, first, count):
    for i in range(count):
        shared[first + i] = i


def lock_user(lock, count):
    for _ in range(count):
        lock.acquire()
        lock.release()


def producer(queue, count):
    for i in range(count):
        queue.put(i)
    queue.put(None)


def report(name, value, unit):
    print(json.dumps({"name": name, "value": round(value, 3), "unit": unit}), flush=True)


def rate(count, started):
    return count / (time.perf_counter() - started)


def rss_mb(pid):
    with open(f"/proc/{pid}/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024.0
    raise RuntimeError(f"no VmRSS line for pid {pid}")


def drain(queue):
    got = 0
    while queue.get() is not None:
        got += 1
    return got


def run_pool_workloads(ctx, size, quick):
    started = time.perf_counter()
    with ctx.Pool(2) as pool:
        pool.apply(identity, (1,))
    report("pool_start_ms", (time.perf_counter() - started) * 1e3, "ms")

    with ctx.Pool(2) as pool:
        pid = pool.apply(worker_pid)
        report("worker_rss_mb", rss_mb(pid), "MB")

        n = size(2000)
        started = time.perf_counter()
        for i in range(n):
            pool.apply(identity, (i,))
        report("apply_roundtrip_us", (time.perf_counter() - started) / n * 1e6, "us")

        n = size(200_000)
        started = time.perf_counter()
        squares = pool.map(square, range(n))
        assert squares[-1] == (n - 1) ** 2
        report("map_default_chunk_items_per_s", rate(n, started), "items/s")

        n = size(20_000)
        started = time.perf_counter()
        squares = pool.map(square, range(n), chunksize=1)
        assert len(squares) == n
        report("map_chunk1_items_per_s", rate(n, started), "items/s")

        n = size(20_000)
        started = time.perf_counter()
        seen = sum(1 for _ in pool.imap_unordered(square, range(n)))
        assert seen == n
        report("imap_unordered_chunk1_items_per_s", rate(n, started), "items/s")

        n = size(20_000)
        started = time.perf_counter()
        pending = [pool.apply_async(square, (i,)) for i in range(n)]
        assert sum(p.get() for p in pending) == sum(i * i for i in range(n))
        report("apply_async_tasks_per_s", rate(n, started), "tasks/s")

        work = 400_000 if quick else 2_000_000
        started = time.perf_counter()
        for _ in range(4):
            burn(work)
        serial = time.perf_counter() - started
        started = time.perf_counter()
        pool.map(burn, [work] * 4, chunksize=1)
        parallel = time.perf_counter() - started
        report("cpu_map_speedup_2_workers", serial / parallel, "x")


def run_process_and_queue(ctx, size):
    n = size(10)
    started = time.perf_counter()
    for _ in range(n):
        child = ctx.Process(target=noop)
        child.start()
        child.join()
    report("process_start_join_ms", (time.perf_counter() - started) / n * 1e3, "ms")

    n = size(100_000)
    queue = ctx.Queue()
    child = ctx.Process(target=producer, args=(queue, n))
    started = time.perf_counter()
    child.start()
    got = drain(queue)
    child.join()
    assert got == n
    report("queue_cross_process_items_per_s", rate(n, started), "items/s")


def run_manager_workloads(ctx, size):
    with ctx.Manager() as manager:
        shared = manager.dict()
        n = size(20_000)
        started = time.perf_counter()
        for i in range(n):
            shared[i] = i
        report("manager_dict_set_ops_per_s", rate(n, started), "ops/s")
        started = time.perf_counter()
        for i in range(n):
            shared[i]
        report("manager_dict_get_ops_per_s", rate(n, started), "ops/s")

        written = manager.dict()
        per_child = size(10_000)
        children = [ctx.Process(target=dict_writer, args=(written, j * per_child, per_child)) for j in range(2)]
        started = time.perf_counter()
        for child in children:
            child.start()
        for child in children:
            child.join()
        assert len(written) == 2 * per_child
        report("manager_dict_set_2proc_ops_per_s", rate(2 * per_child, started), "ops/s")

        items = manager.list()
        n = size(20_000)
        started = time.perf_counter()
        for i in range(n):
            items.append(i)
        report("manager_list_append_ops_per_s", rate(n, started), "ops/s")

        lock = manager.RLock()
        n = size(10_000)
        started = time.perf_counter()
        for _ in range(n):
            lock.acquire()
            lock.release()
        report("manager_rlock_acq_rel_per_s", rate(n, started), "pairs/s")

        children = [ctx.Process(target=lock_user, args=(lock, n // 2)) for _ in range(2)]
        started = time.perf_counter()
        for child in children:
            child.start()
        for child in children:
            child.join()
        report("manager_rlock_contended_2proc_per_s", rate(n, started), "pairs/s")

        queue = manager.Queue()
        n = size(20_000)
        child = ctx.Process(target=producer, args=(queue, n))
        started = time.perf_counter()
        child.start()
        got = drain(queue)
        child.join()
        assert got == n
        report("manager_queue_cross_process_items_per_s", rate(n, started), "items/s")


def run_native_rlock(ctx, size):
    lock = ctx.RLock()
    n = size(100_000)
    children = [ctx.Process(target=lock_user, args=(lock, n // 2)) for _ in range(2)]
    started = time.perf_counter()
    for child in children:
        child.start()
    for child in children:
        child.join()
    report("native_rlock_contended_2proc_per_s", rate(n, started), "pairs/s")


def run_scale(ctx, quick):
    sizes = [10**3, 10**4, 10**5] if quick else [10**3, 10**4, 10**5, 10**6]
    for workers in (1, 2, 4):
        with ctx.Pool(workers) as pool:
            pool.apply(identity, (0,))
            for n in sizes:
                started = time.perf_counter()
                squares = pool.map(square, range(n))
                assert len(squares) == n
                report(f"scale_map_w{workers}_n{n}_items_per_s", rate(n, started), "items/s")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--start-method", default="spawn", choices=multiprocessing.get_all_start_methods())
    parser.add_argument("--quick", action="store_true", help="a fifth of the work, as py_baseline.py --quick")
    args = parser.parse_args()
    ctx = multiprocessing.get_context(args.start_method)
    factor = 0.2 if args.quick else 1.0

    def size(n):
        return max(10, int(n * factor))

    run_pool_workloads(ctx, size, args.quick)
    run_process_and_queue(ctx, size)
    run_manager_workloads(ctx, size)
    run_native_rlock(ctx, size)
    run_scale(ctx, args.quick)


if __name__ == "__main__":
    main()
