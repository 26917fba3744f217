"""Kill a training process with SIGKILL while its CheckpointManager saves, again and again.

Each round starts a saver (restore the latest checkpoint, then assign and
save in a loop, ``max_to_keep=3``) and kills it after a random delay. At the
end one more clean save runs, and the script reports what is left in the
directory besides the kept checkpoints: temp files, orphan checkpoints, and
whether every kept file reads back.

    python tools/kill_during_saves.py --kills 60 --mib 16
    python tools/kill_during_saves.py --source /path/to/other/checkout   # compare versions
"""
import argparse
import os
import random
import signal
import subprocess
import sys
import tempfile
import textwrap
import time

SAVER = textwrap.dedent("""
    import sys
    import numpy as np
    import minitf as mtf
    directory, size, once = sys.argv[1], int(sys.argv[2]), sys.argv[3:] == ["once"]
    v = mtf.Variable(np.zeros(size, np.float32))
    ckpt = mtf.train.Checkpoint(v=v)
    manager = mtf.train.CheckpointManager(ckpt, directory, max_to_keep=3)
    ckpt.restore(manager.latest_checkpoint)
    print("ready", flush=True)
    while True:
        v.assign_add(np.ones(size, np.float32))
        manager.save()
        if once:
            for path in manager.checkpoints:
                mtf.train.load_variable(path, "v")
            print(int(ckpt.save_counter), *[p.rsplit("/", 1)[1] for p in manager.checkpoints])
            break
""")


def run_saver(env, script, directory, size, delay):
    """Start a saver, let it run ``delay`` seconds after it is ready, then SIGKILL it."""
    process = subprocess.Popen([sys.executable, script, directory, str(size)],
                               stdout=subprocess.PIPE, text=True, env=env)
    if process.stdout.readline() != "ready\n":
        raise SystemExit("the saver failed to start")
    time.sleep(delay)
    process.send_signal(signal.SIGKILL)
    process.wait()
    process.stdout.close()


def litter(directory):
    """(temp files, their bytes, checkpoint files) in ``directory``."""
    names = os.listdir(directory)
    temps = [n for n in names if n.endswith(".tmp")]
    size = sum(os.path.getsize(os.path.join(directory, n)) for n in temps)
    return temps, size, sorted(n for n in names if n.startswith("ckpt-"))


def final_save(env, script, directory, size):
    """One clean save in a fresh process; the save count and the kept names."""
    out = subprocess.run([sys.executable, script, directory, str(size), "once"], env=env,
                         capture_output=True, text=True, check=True).stdout.split()
    return int(out[1]), out[2:]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kills", type=int, default=60)
    parser.add_argument("--mib", type=float, default=16, help="checkpoint size in MiB")
    parser.add_argument("--source", default=None, help="checkout whose minitf to run")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    env = dict(os.environ)
    if args.source:
        env["PYTHONPATH"] = os.path.abspath(args.source)
    size = int(args.mib * (1 << 20)) // 4
    rng = random.Random(args.seed)
    with tempfile.TemporaryDirectory() as root:
        script, directory = os.path.join(root, "saver.py"), os.path.join(root, "run")
        with open(script, "w") as file:
            file.write(SAVER)
        for _ in range(args.kills):
            run_saver(env, script, directory, size, rng.uniform(0.05, 0.5))
        temps, temp_bytes, files = litter(directory)
        print(f"after {args.kills} kills: {len(temps)} temp files ({temp_bytes / 2**20:.1f} "
              f"MiB), {len(files)} checkpoint files")
        saves, kept = final_save(env, script, directory, size)
        temps, temp_bytes, files = litter(directory)
        orphans = sorted(set(files) - set(kept))
        print(f"after one more save (save #{saves}): {len(temps)} temp files "
              f"({temp_bytes / 2**20:.1f} MiB), orphans {orphans}, kept {kept}, all readable")


if __name__ == "__main__":
    main()
