"""A REINFORCE step exactly as the study runs it (configs/reinforce.yaml + configs/study/reinforce_cpu.yaml, the
dev-chosen budget and lr, 16 rollouts from the study's training prompts, bf16 mixed or ``--precision``), for a few
steps under Lightning's SimpleProfiler: seconds per step, per phase, the process's system time (page faults) and
peak memory.
Timing does not depend on the RM's weights: without ``--reward-model`` an untrained head on the SFT backbone is
written under ``$RLHF_ARTIFACTS/bench`` and used. ``--code DIR`` runs another checkout's ``src/`` and ``cli.py``
(the code before a change), so one shell script can time both sides in turns; the allocator is chosen outside
(``LD_PRELOAD``) and recorded. bench/study_step.sh runs it for every side:

python bench/profile_study_step.py --model GGUF --tokenizer DIR --data PAIRS --out results/bench/study_step_ours.json
python bench/profile_study_step.py ... --precision 32 --out results/bench/study_step_fp32.json  # a float32 chain's
"""

import argparse
import os
import resource
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--code", default=str(HERE.parent), help="checkout whose src/ and cli.py are timed")
    parser.add_argument("--model", required=True)
    parser.add_argument("--tokenizer", required=True)
    parser.add_argument("--data", required=True)
    parser.add_argument("--reward-model", help="a scalar RM directory (default: an untrained head, see above)")
    parser.add_argument("--max-new-tokens", type=int, default=256)
    parser.add_argument("--lr", type=float, default=1e-6)
    parser.add_argument("--precision", default="bf16-mixed", help="the trainer's (a float32 chain's: 32)")
    parser.add_argument("--steps", type=int, default=3)
    parser.add_argument("--warmup-steps", type=int, default=1)
    parser.add_argument("--logs", default="/tmp/profile_study_step")
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    code, args.out = Path(args.code).resolve(), os.path.abspath(args.out)
    sys.path[:0] = [str(code / "src"), str(code), str(HERE)]
    os.chdir(code)  # the configs' relative paths (splits/prefmix.json) are the checkout's

    from bench_reinforce import phase_seconds
    from common import ARTIFACTS, environment, untrained_reward_model, write

    import rlhf
    from cli import RLHFCLI
    from rlhf.data import HelpSteerDataModule

    if args.reward_model is None:
        args.reward_model = untrained_reward_model(args.model, args.tokenizer, f"{ARTIFACTS}/bench/untrained_rm")
    cli = RLHFCLI(
        datamodule_class=HelpSteerDataModule,
        subclass_mode_model=True,
        save_config_kwargs={"overwrite": True},
        run=False,
        args=[
            "--config=configs/reinforce.yaml",
            "--config=configs/study/reinforce_cpu.yaml",
            f"--data.tokenizer={args.tokenizer}",
            f"--data.path={args.data}",
            f"--model.init_args.policy={args.model}",
            f"--model.init_args.reward_model={args.reward_model}",
            f"--model.init_args.max_new_tokens={args.max_new_tokens}",
            f"--model.init_args.lr={args.lr}",
            "--model.init_args.standardization_batches=1",
            "--model.init_args.sample_log_every_n_steps=0",
            "--model.init_args.export_dir=null",
            f"--trainer.max_steps={args.steps}",
            "--trainer.callbacks=[]",  # no checkpoints, no dev check: the steps alone
            "--trainer.enable_checkpointing=false",
            "--trainer.profiler=simple",
            f"--trainer.logger.init_args.save_dir={args.logs}",
            f"--trainer.precision={args.precision}",
            "--seed_everything=0",
        ],
    )
    start = time.perf_counter()
    cli.trainer.fit(cli.model, datamodule=cli.datamodule)
    durations = cli.trainer.profiler.recorded_durations
    usage = resource.getrusage(resource.RUSAGE_SELF)
    phases = phase_seconds(durations, args.steps, args.warmup_steps)
    steps = durations["run_training_batch"]
    write(
        args.out,
        {
            "benchmark": f"the study's REINFORCE step (its configs, 16 rollouts, {args.precision}), SimpleProfiler",
            "settings": vars(args),
            "code": str(code),
            "rlhf_from": rlhf.__file__,
            "allocator": os.environ.get("LD_PRELOAD") or "glibc malloc",
            "environment": environment(),
            "step_seconds": steps,
            "seconds_per_step": sum(steps[args.warmup_steps :]) / (len(steps) - args.warmup_steps),
            "phase_seconds_per_step": {k.split("]")[-1]: v for k, v in phases.items() if v > 0.05},
            "process": {
                "wall_seconds": time.perf_counter() - start,
                "user_seconds": usage.ru_utime,
                "system_seconds": usage.ru_stime,
                "minor_page_faults": usage.ru_minflt,
                "peak_rss_gb": usage.ru_maxrss / 2**20,
            },
        },
    )


if __name__ == "__main__":
    main()
