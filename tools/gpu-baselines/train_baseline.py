# The training side of the GPU baseline: a k1.5-loss step (sequence log-prob, squared advantage residual, tau 1) with AdamW
# on a Qwen2-0.5B-shaped transformers model (random bf16 weights, no master weights, no reference pass), as
# /work/shared/gpu/baseline_hf.py trains it, without its generate runs. Writes train_baseline.json under $OUT.
import time, json, os, torch
from transformers import Qwen2Config, AutoModelForCausalLM
torch.manual_seed(0)
cfg = Qwen2Config(hidden_size=896, intermediate_size=4864, num_hidden_layers=24, num_attention_heads=14,
                  num_key_value_heads=2, vocab_size=151936, tie_word_embeddings=True, rope_theta=1e6,
                  max_position_embeddings=4096)
model = AutoModelForCausalLM.from_config(cfg, torch_dtype=torch.bfloat16).cuda()
res = {"params": sum(p.numel() for p in model.parameters()), "gpu": torch.cuda.get_device_name(0), "train": {}}
P = 128
model.train()
opt = torch.optim.AdamW(model.parameters(), lr=1e-6)
for B, T in [(8, 640), (32, 640)]:
    ids = torch.randint(0, 150000, (B, T), device="cuda")
    mask = torch.zeros(B, T - 1, device="cuda"); mask[:, P - 1:] = 1
    r = torch.randint(0, 2, (B // 8, 8), device="cuda").float()
    adv = (r - r.mean(1, keepdim=True)).reshape(-1)
    def loss_of():
        logits = model(ids[:, :-1]).logits.float()
        lp = torch.log_softmax(logits, -1).gather(-1, ids[:, 1:, None]).squeeze(-1)
        seq = (lp * mask).sum(1)
        return ((adv - 1.0 * (seq - seq.detach())) ** 2).mean() / 2
    def step():
        loss = loss_of()
        opt.zero_grad(); loss.backward(); opt.step()
    step(); torch.cuda.synchronize(); t = time.time()
    for _ in range(3): step()
    torch.cuda.synchronize(); dt = (time.time() - t) / 3
    res["train"][f"b{B}_t{T}"] = {"tokens_per_s": B * T / dt, "s_per_step": dt}
    print("train", B, T, f"{B*T/dt:.0f} tok/s", flush=True)
    # Where the step goes (each phase synchronised and timed apart, mean of 3): the whole forward with the loss, its
    # backward, the optimizer; and the decoder stack alone (no vocabulary head), forward and backward.
    def timed(f):
        torch.cuda.synchronize(); t = time.time(); r = f(); torch.cuda.synchronize(); return r, time.time() - t
    parts = {"forward_s": 0.0, "backward_s": 0.0, "optimizer_s": 0.0, "layers_forward_s": 0.0, "layers_backward_s": 0.0}
    for _ in range(3):
        loss, t = timed(loss_of); parts["forward_s"] += t / 3
        _, t = timed(loss.backward); parts["backward_s"] += t / 3; del loss
        _, t = timed(lambda: (opt.step(), opt.zero_grad())); parts["optimizer_s"] += t / 3
        h, t = timed(lambda: model.model(ids[:, :-1]).last_hidden_state.float().sum()); parts["layers_forward_s"] += t / 3
        _, t = timed(h.backward); parts["layers_backward_s"] += t / 3; del h
        opt.zero_grad()
    res["train"][f"b{B}_t{T}"].update({k: round(v, 4) for k, v in parts.items()})
    print("anatomy", B, T, {k: round(v * 1000, 1) for k, v in parts.items()}, "ms", flush=True)
res["torch"] = torch.__version__
json.dump(res, open(os.path.join(os.environ.get("OUT", "."), "train_baseline.json"), "w"), indent=1)
