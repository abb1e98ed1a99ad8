# Copied from the project's shared GPU notes (baseline_decode.py), plus BATCHES; on the GPU host: OUT=DIR [BATCHES=1,16,64] python3 baseline_decode.py
# Anchor for P1: what libtorch itself reaches when a decode step is replayed as a CUDA graph.
# A plain PyTorch Qwen2-0.5B-shaped decoder (random bf16 weights), static KV cache, SDPA, greedy and sampled
# (Gumbel-max on the GPU) decoding, eager vs CUDA-graph replay; batch 1, 16, 64, 256; 128-token prompt, N new.
import json, math, os, sys, time
import torch, torch.nn.functional as F
torch.manual_seed(0)
dev = "cuda" if torch.cuda.is_available() else "cpu"
small = dev == "cpu"
H, I, L, NH, KV, V = (64, 128, 2, 4, 2, 1000) if small else (896, 4864, 24, 14, 2, 151936)
D = H // NH; P = 8 if small else 128; N = int(os.environ.get("NEW", 8 if small else 512))
dt = torch.float32 if small else torch.bfloat16
def w(*s): return (torch.randn(*s, device=dev) * 0.02).to(dt)
emb = w(V, H)
layers = [dict(qkv=w((NH + 2 * KV) * D, H), qkv_b=w((NH + 2 * KV) * D), o=w(H, NH * D), gu=w(2 * I, H), dn=w(H, I),
               n1=torch.ones(H, device=dev, dtype=dt), n2=torch.ones(H, device=dev, dtype=dt)) for _ in range(L)]
nf = torch.ones(H, device=dev, dtype=dt)
inv = 1.0 / (1e6 ** (torch.arange(0, D, 2, device=dev).float() / D))
def rms(x, g): return (x.float() * torch.rsqrt(x.float().pow(2).mean(-1, keepdim=True) + 1e-6)).to(dt) * g
def rope(x, pos):  # x [B, h, T, D], pos [B, T]
    f = pos.float()[..., None] * inv; cos, sin = f.cos()[:, None].to(dt), f.sin()[:, None].to(dt)
    x1, x2 = x[..., : D // 2], x[..., D // 2:]
    return torch.cat([x1 * cos - x2 * sin, x2 * cos + x1 * sin], -1)
def forward(ids, pos, kc, vc, mask):  # ids [B,T], pos [B,T]; kc/vc per layer [B, KV, S, D]; mask [B,1,T,S]
    B, T = ids.shape
    x = emb[ids]
    for l, p in enumerate(layers):
        h = rms(x, p["n1"])
        qkv = F.linear(h, p["qkv"], p["qkv_b"])
        q, k, v = qkv.split([NH * D, KV * D, KV * D], -1)
        q = rope(q.view(B, T, NH, D).transpose(1, 2), pos); k = rope(k.view(B, T, KV, D).transpose(1, 2), pos)
        v = v.view(B, T, KV, D).transpose(1, 2)
        kc[l].index_copy_(2, pos[0], k); vc[l].index_copy_(2, pos[0], v)  # rows share positions (no padding here)
        o = F.scaled_dot_product_attention(q, kc[l], vc[l], attn_mask=mask, enable_gqa=True)
        x = x + F.linear(o.transpose(1, 2).reshape(B, T, NH * D), p["o"])
        g, u = F.linear(rms(x, p["n2"]), p["gu"]).chunk(2, -1)
        x = x + F.linear(F.silu(g) * u, p["dn"])
    return F.linear(rms(x[:, -1], nf), emb)
res = {"device": torch.cuda.get_device_name(0) if dev == "cuda" else "cpu", "torch": torch.__version__, "runs": {}}
batches = [int(b) for b in os.environ["BATCHES"].split(",")] if os.environ.get("BATCHES") else None  # (this copy) e.g. BATCHES=1,16,64
for B in (batches or ([1, 4] if small else [1, 16, 64, 256])):
    S = P + N
    kc = [torch.zeros(B, KV, S, D, device=dev, dtype=dt) for _ in range(L)]; vc = [torch.zeros_like(t) for t in kc]
    ids = torch.randint(3, V, (B, P), device=dev)
    pos = torch.arange(P, device=dev)[None].expand(B, P).contiguous()
    causal = torch.ones(P, S, device=dev, dtype=torch.bool).tril()[None, None].expand(B, 1, P, S)
    with torch.no_grad():
        logits = forward(ids, pos, kc, vc, causal)
        step_ids = torch.zeros(B, 1, dtype=torch.long, device=dev); step_pos = torch.full((B, 1), P, device=dev)
        step_mask = torch.zeros(B, 1, 1, S, dtype=torch.bool, device=dev)
        out_logits = torch.zeros(B, V, device=dev, dtype=dt)
        def step():
            step_mask.copy_((torch.arange(S, device=dev) <= step_pos[0, 0])[None, None, None].expand(B, 1, 1, S))
            out_logits.copy_(forward(step_ids, step_pos, kc, vc, step_mask))
        for mode in ["eager", "graph"] if dev == "cuda" else ["eager"]:
            for sampling in ["greedy", "sampled"]:
                g = None
                if mode == "graph":
                    s = torch.cuda.Stream(); s.wait_stream(torch.cuda.current_stream())
                    with torch.cuda.stream(s):
                        for _ in range(2): step()
                    torch.cuda.current_stream().wait_stream(s)
                    g = torch.cuda.CUDAGraph()
                    with torch.cuda.graph(g): step()
                def pick(lg):
                    if sampling == "greedy": return lg.argmax(-1)
                    u = torch.rand(lg.shape, device=dev).clamp_(1e-10, 1.0)
                    return (lg.float() - torch.log(-torch.log(u))).argmax(-1)  # Gumbel-max = softmax sampling at T=1
                nxt = pick(logits); toks = []
                if dev == "cuda": torch.cuda.synchronize()
                t0 = time.time()
                for i in range(N):
                    step_ids.copy_(nxt[:, None]); step_pos.fill_(P + i)
                    if g is not None: g.replay()
                    else: step()
                    nxt = pick(out_logits); toks.append(nxt.cpu())  # tokens back to the host every step, as an RL engine needs
                if dev == "cuda": torch.cuda.synchronize()
                dts = time.time() - t0
                key = f"{mode}_{sampling}_b{B}"
                res["runs"][key] = {"tokens_per_s": B * N / dts, "ms_per_step": 1000 * dts / N}
                print(key, f"{B * N / dts:.0f} tok/s, {1000 * dts / N:.2f} ms/step", flush=True)
                del g
    del kc, vc
nbytes = sum(t.numel() * t.element_size() for p in layers for t in p.values()) + emb.numel() * emb.element_size()
res["weight_bytes"] = nbytes
json.dump(res, open(os.path.join(os.environ.get("OUT", "."), "graph_baseline.json"), "w"), indent=1)
