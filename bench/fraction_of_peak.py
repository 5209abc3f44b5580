"""How close the scalar RM's measured speed is to the machine's matmul rate: its tokens/s (bench_precision.py) turned
into model GFLOP/s, 2 x (forward) or 6 x (forward + backward) the linear layers' parameters per token, over the
matmul GFLOP/s of the same machine at the same dtype (bench_matmul.py). Near 1, no code change makes the RM faster
on that machine; only fewer FLOPs would (attention and the rest are left out, so this slightly understates the work).
Reads committed results only; runs nothing.

python bench/fraction_of_peak.py --throughput results/bench/precision_amd_epyc_avx2.json --precision 32-true \
    --matmul results/bench/matmul_amd_epyc_avx2.json --dtype float32 \
    --parameters results/bench/rm_step_profile_cpu.json --out results/bench/fraction_of_peak_amd_epyc_avx2.json
"""

import argparse
import json

from rlhf.paths import write_result

FLOPS_PER_PARAMETER = {"forward": 2, "forward_backward": 6}  # per token: a multiply-add forward, twice that backward


def fraction_of_peak(throughput: dict, precision: str, matmul: dict, dtype: str, linear_parameters: int) -> dict:
    """Per pass (forward, forward + backward): tokens/s, model GFLOP/s and their fraction of the matmul rate. Both
    measurements must come from one CPU model: across machines the ratio would mean nothing."""
    cpus = throughput.get("cpu_model"), matmul.get("cpu_model")
    if cpus[0] != cpus[1]:
        raise SystemExit(f"the two files are of other CPUs: {cpus[0]} and {cpus[1]}")
    peak = matmul["median_gflops"][dtype]
    passes = {}
    for name, flops in FLOPS_PER_PARAMETER.items():
        tokens_per_s = throughput["tokens_per_s"][f"{name}.{precision}"]
        gflops = flops * linear_parameters * tokens_per_s / 1e9
        passes[name] = {"tokens_per_s": tokens_per_s, "model_gflops": gflops, "fraction_of_matmul": gflops / peak}
    return {"cpu_model": matmul["cpu_model"], "precision": precision, "matmul_dtype": dtype, "matmul_gflops": peak,
            "linear_parameters": linear_parameters, "passes": passes}  # fmt: skip


def table(result: dict, command: str) -> str:
    lines = [
        "| scalar RM | tokens/s | model GFLOP/s | matmul GFLOP/s | fraction of the matmul rate |",
        "|---|---|---|---|---|",
    ]
    for name, p in result["passes"].items():
        lines.append(
            f"| {name.replace('_', ' + ')} | {p['tokens_per_s']:.1f} | {p['model_gflops']:.0f} "
            f"| {result['matmul_gflops']:.0f} | {p['fraction_of_matmul']:.2f} |"
        )
    lines.append(
        f"\n{result['cpu_model']}, precision {result['precision']} against {result['matmul_dtype']} matmuls; "
        f"{result['linear_parameters']:,} linear parameters; `{command}`"
    )
    return "\n".join(lines) + "\n"


def load(path: str) -> dict:
    with open(path) as f:
        return json.load(f)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--throughput", required=True, help="bench_precision.py's JSON")
    parser.add_argument("--precision", default="32-true", help="which of its precisions")
    parser.add_argument("--matmul", required=True, help="bench_matmul.py's JSON, of the same CPU")
    parser.add_argument("--dtype", default="float32", help="which of its dtypes")
    parser.add_argument("--parameters", required=True, help="a JSON with linear_parameters (the RM step profile's)")
    parser.add_argument("--out", required=True)
    args = parser.parse_args(argv)
    result = fraction_of_peak(load(args.throughput), args.precision, load(args.matmul), args.dtype,
                              load(args.parameters)["linear_parameters"])  # fmt: skip
    result["inputs"] = {"throughput": args.throughput, "matmul": args.matmul, "parameters": args.parameters}
    command = (
        f"python bench/fraction_of_peak.py --throughput {args.throughput} --precision {args.precision} "
        f"--matmul {args.matmul} --dtype {args.dtype} --parameters {args.parameters} --out {args.out}"
    )
    write_result(args.out, result, table(result, command))
    print(table(result, command))


if __name__ == "__main__":
    main()
