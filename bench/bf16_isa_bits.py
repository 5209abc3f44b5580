"""Do a CPU's bf16 kernels give the same bits as another's? One bf16-autocast linear layer of the model's shape,
run under each oneDNN ISA limit this CPU allows, printed as a hash of its output (REPORT.md status).

    python bench/bf16_isa_bits.py > results/bench/bf16_isa_bits.txt   # per ISA: the hash, the kernel oneDNN ran

Same hash = same bits. On the Intel Xeon with AMX of 2026-12-02 the default (AMX), AVX512_CORE_BF16 (the kernels an
AVX-512-bf16 CPU without AMX, such as an AMD EPYC, would run) and AVX512_CORE gave three different hashes.
"""

import os
import re
import subprocess
import sys

CHILD = """
import hashlib, torch
torch.manual_seed(0)
layer, x = torch.nn.Linear(576, 1536), torch.randn(64, 576)
with torch.no_grad(), torch.autocast("cpu", dtype=torch.bfloat16):
    y = layer(x)
print(hashlib.sha256(y.float().numpy().tobytes()).hexdigest()[:16])
"""


def main() -> None:
    with open("/proc/cpuinfo") as f:
        cpu = next((line.split(":", 1)[1].strip() for line in f if line.startswith("model name")), "unknown CPU")
    print(f"{cpu}, {os.cpu_count()} cores")
    for isa in ("DEFAULT", "AVX512_CORE_AMX", "AVX512_CORE_BF16", "AVX512_CORE"):
        env = {**os.environ, "ONEDNN_VERBOSE": "1"}
        if isa != "DEFAULT":
            env["ONEDNN_MAX_CPU_ISA"] = isa
        out = subprocess.run([sys.executable, "-c", CHILD], env=env, capture_output=True, text=True, check=True).stdout
        kernel = re.search(r"exec,cpu,matmul,([^,]+)", out)
        print(f"{isa:18s} {out.strip().splitlines()[-1]}  {kernel[1] if kernel else 'not oneDNN'}")


if __name__ == "__main__":
    main()
