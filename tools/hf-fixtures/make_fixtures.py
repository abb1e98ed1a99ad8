#!/usr/bin/env python3
"""Makes the Hugging Face parity fixtures of tests/Kimi.Actors.Model.Tests/Fixtures/hf.

On a host with PyTorch, transformers (5.x) and tokenizers:

    python3 tools/hf-fixtures/make_fixtures.py OUT_DIR

writes, per fixture (llama, qwen2, qwen3, qwen3-bf16), OUT_DIR/NAME/ with the checkpoint folder as
transformers saves it (config.json, model.safetensors or shards with model.safetensors.index.json,
generation_config.json, tokenizer.json, tokenizer_config.json, chat_template.jinja) and
OUT_DIR/NAME.reference.json with transformers' own token ids for a varied set of texts and chats and
the last-position logits for a few texts. Weights are random (seeded); the tokenizers are small
byte-level BPEs trained here on a fixed corpus, shaped like the real families' tokenizers (Llama 3:
regex split + byte level + a template post-processor adding <|begin_of_text|>; Qwen: NFC, the Qwen
regex, specials at the end of the vocabulary; Qwen3 adds <think>/</think> as non-special tokens).
Everything runs on the CPU in float32 (bf16 for the bf16 fixture) so the numbers are reproducible.
"""
import json
import os
import random
import sys
import traceback

import torch
import tokenizers
import transformers
from tokenizers import AddedToken, Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers, processors, trainers

HERE = os.path.dirname(os.path.abspath(__file__))

# The split patterns of the real tokenizer.json files.
LLAMA3_PATTERN = (r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+")
QWEN_PATTERN = (r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+")

TEXTS = [
    "Hello world",
    "hello, World! HELLO?",
    "  leading and trailing spaces  ",
    "tabs\tand\nnew\n\nlines\r\n",
    "1234567890 + 98765 = 1111111",
    "3+5=8, 12*7=84; 100/4=25.",
    "Punctuation!? (a, b); [c] {d} <e> 'quoted' \"double\" -- ... ~`@#$%^&*_|\\",
    "don't I'll we're they've she'd",
    "naïve café über Straße",
    "cafe\u0301 (decomposed e-acute)",
    "日本語のテキストと中文",
    "emoji 🎉👍🏽 and ✓ ≤ ∑",
    "x=1;y=x**2\nprint(y)",
    "<|im_start|>user\nhi<|im_end|>",
    "<|begin_of_text|>text after bos<|eot_id|>",
    "<|endoftext|>",
    "<think>\nreasoning\n</think>\n\nanswer",
    "",
    "   ",
    "a",
]

LOGIT_TEXTS = [
    "Hello world",
    "1234567890 + 98765 = 1111111",
    "naïve café 日本語 🎉",
]

CHATS = [
    ([{"role": "user", "content": "What is 2+2?"}], True),
    ([{"role": "system", "content": "Be brief."}, {"role": "user", "content": " 12 * 7 = ? "}], True),
    ([{"role": "system", "content": "You add numbers."}, {"role": "user", "content": "3+5"},
      {"role": "assistant", "content": "<think>\n3 plus 5\n</think>\n\n8"}, {"role": "user", "content": "and 1+1?"}], True),
    ([{"role": "user", "content": "Say hi"}, {"role": "assistant", "content": "hi"}], False),
]

CORPUS_LINES = [
    "The quick brown fox jumps over the lazy dog.",
    "Hello world, hello there, hello again.",
    "I'll add the numbers: 3+5=8 and 12*7=84, then 100/4=25.",
    "Let me think step by step. First, check the sum; then verify it.",
    "def add(a, b):\n    return a + b\n",
    "The answer is 42. The answer is not 41.",
    "naïve café über Straße résumé",
    "日本語のテキスト 中文 한국어",
    "Running sums: 1, 3, 6, 10, 15, 21, 28, 36, 45, 55.",
    "Countdown: reach 24 using 3, 8, 8 and 1.",
    "<think>\nreasoning\n</think>\n\nanswer",
    "They've said we're done, don't worry.",
]


def corpus():
    rng = random.Random(7)
    lines = []
    for _ in range(60):
        lines.extend(CORPUS_LINES)
        a, b = rng.randint(0, 999), rng.randint(0, 999)
        lines.append(f"{a} + {b} = {a + b}")
    return lines


def train_tokenizer(family, trainer_vocab):
    tok = Tokenizer(models.BPE())
    pattern = LLAMA3_PATTERN if family == "llama" else QWEN_PATTERN
    if family != "llama":
        tok.normalizer = normalizers.NFC()
    tok.pre_tokenizer = pre_tokenizers.Sequence([
        pre_tokenizers.Split(Regex(pattern), behavior="isolated", invert=False),
        pre_tokenizers.ByteLevel(add_prefix_space=False, trim_offsets=False, use_regex=False),
    ])
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=trainer_vocab, min_frequency=2, show_progress=False,
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), special_tokens=[])
    tok.train_from_iterator(corpus(), trainer)
    if family == "llama":
        specials = ["<|begin_of_text|>", "<|end_of_text|>", "<|start_header_id|>", "<|end_header_id|>", "<|eot_id|>"]
        tok.add_special_tokens([AddedToken(s, special=True, normalized=False) for s in specials])
        bos = tok.token_to_id("<|begin_of_text|>")
        tok.post_processor = processors.Sequence([
            processors.ByteLevel(trim_offsets=False),
            processors.TemplateProcessing(single="<|begin_of_text|> $A", pair="<|begin_of_text|> $A <|begin_of_text|> $B",
                                          special_tokens=[("<|begin_of_text|>", bos)]),
        ])
    else:
        specials = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]
        tok.add_special_tokens([AddedToken(s, special=True, normalized=False) for s in specials])
        if family == "qwen3":
            tok.add_tokens([AddedToken("<think>", special=False, normalized=False),
                            AddedToken("</think>", special=False, normalized=False)])
        tok.post_processor = processors.ByteLevel(trim_offsets=False)
    return tok


def fast_tokenizer(tok, **kwargs):
    cls = getattr(transformers, "PreTrainedTokenizerFast", None) or getattr(transformers, "TokenizersBackend")
    return cls(tokenizer_object=tok, **kwargs)


def randomise(model, seed):
    """Every parameter random, norms near 1 and biases non-zero, so each tensor matters for the logits."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, p in model.named_parameters():
            if "norm" in name:
                p.copy_(1.0 + 0.2 * (torch.rand(p.shape, generator=g) - 0.5))
            elif name.endswith(".bias"):
                p.copy_(0.1 * torch.randn(p.shape, generator=g))
            else:
                p.copy_(0.08 * torch.randn(p.shape, generator=g))


def chat_ids(tokenizer, messages, add_generation_prompt):
    out = tokenizer.apply_chat_template(messages, tokenize=True, add_generation_prompt=add_generation_prompt)
    if hasattr(out, "keys") and "input_ids" in out:
        out = out["input_ids"]
    if out and isinstance(out[0], list):
        out = out[0]
    return [int(i) for i in out]


def make(name, family, out_dir, dtype=torch.float32, shard=None):
    trainer_vocab = {"llama": 384, "qwen2": 400, "qwen3": 400}[family]
    tok = train_tokenizer(family, trainer_vocab)
    size = tok.get_vocab_size(with_added_tokens=True)
    template = open(os.path.join(HERE, "templates", {"llama": "llama3", "qwen2": "qwen2", "qwen3": "qwen3"}[family] + ".jinja"),
                    encoding="utf-8").read()
    if family == "llama":
        bos, eos, pad = "<|begin_of_text|>", "<|eot_id|>", None
        vocab_size = size  # Llama: embedding exactly the tokenizer
    else:
        bos, eos, pad = None, "<|im_end|>", "<|endoftext|>"
        vocab_size = (size + 63) // 64 * 64  # Qwen pads the embedding beyond the tokenizer
    kwargs = {"bos_token": bos, "eos_token": eos}
    if pad is not None:
        kwargs["pad_token"] = pad
    hf_tok = fast_tokenizer(tok, **kwargs)
    hf_tok.chat_template = template

    common = dict(vocab_size=vocab_size, hidden_size=64, intermediate_size=128, num_hidden_layers=2,
                  num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=256)
    tid = tok.token_to_id
    if family == "llama":
        config = transformers.LlamaConfig(
            **common, rms_norm_eps=1e-5, tie_word_embeddings=False, attention_bias=False, mlp_bias=False,
            rope_parameters={"rope_type": "llama3", "rope_theta": 500000.0, "factor": 8.0, "low_freq_factor": 1.0,
                             "high_freq_factor": 4.0, "original_max_position_embeddings": 64},
            bos_token_id=tid("<|begin_of_text|>"), eos_token_id=tid("<|end_of_text|>"), pad_token_id=None)
        gen_eos = [tid("<|end_of_text|>"), tid("<|eot_id|>")]
    elif family == "qwen2":
        config = transformers.Qwen2Config(
            **common, rms_norm_eps=1e-6, tie_word_embeddings=True, use_sliding_window=False,
            rope_parameters={"rope_type": "default", "rope_theta": 1000000.0},
            bos_token_id=tid("<|endoftext|>"), eos_token_id=tid("<|im_end|>"), pad_token_id=None)
        gen_eos = [tid("<|im_end|>"), tid("<|endoftext|>")]
    else:
        config = transformers.Qwen3Config(
            **common, head_dim=32, rms_norm_eps=1e-6, tie_word_embeddings=True, attention_bias=False,
            use_sliding_window=False, rope_parameters={"rope_type": "default", "rope_theta": 1000000.0},
            bos_token_id=tid("<|endoftext|>"), eos_token_id=tid("<|im_end|>"), pad_token_id=None)
        gen_eos = [tid("<|im_end|>"), tid("<|endoftext|>")]

    torch.manual_seed(0)
    model = transformers.AutoModelForCausalLM.from_config(config)
    randomise(model, {"llama": 11, "qwen2": 12, "qwen3": 13}[family])
    model = model.to(dtype).eval()
    model.generation_config = transformers.GenerationConfig(
        bos_token_id=config.bos_token_id, eos_token_id=gen_eos, pad_token_id=tid(pad) if pad else None,
        do_sample=True, temperature=0.7, top_p=0.8)

    folder = os.path.join(out_dir, name)
    save_kwargs = {"max_shard_size": shard} if shard else {}
    model.save_pretrained(folder, **save_kwargs)
    hf_tok.save_pretrained(folder)

    # The reference comes from the files as a user loads them.
    loaded_tok = transformers.AutoTokenizer.from_pretrained(folder)
    raw = Tokenizer.from_file(os.path.join(folder, "tokenizer.json"))
    loaded = transformers.AutoModelForCausalLM.from_pretrained(folder, dtype=dtype).eval()

    texts = []
    for text in TEXTS:
        ids = loaded_tok(text)["input_ids"]
        plain = loaded_tok(text, add_special_tokens=False)["input_ids"]
        if ids != raw.encode(text).ids:
            print("WARNING", name, repr(text), "transformers", ids, "tokenizers", raw.encode(text).ids, flush=True)
        texts.append({"text": text, "ids": ids, "ids_no_special": plain,
                      "decoded": loaded_tok.decode(ids, skip_special_tokens=True)})

    chats = []
    for messages, gen in CHATS:
        rendered = loaded_tok.apply_chat_template(messages, tokenize=False, add_generation_prompt=gen)
        chats.append({"messages": messages, "add_generation_prompt": gen, "text": rendered,
                      "ids": chat_ids(loaded_tok, messages, gen)})

    logits = []
    with torch.no_grad():
        for text in LOGIT_TEXTS:
            ids = loaded_tok(text)["input_ids"]
            out = loaded(torch.tensor([ids])).logits[0, -1].float()
            gen = loaded.generate(torch.tensor([ids]), attention_mask=torch.ones(1, len(ids), dtype=torch.long),
                                  max_new_tokens=8, do_sample=False)
            logits.append({"text": text, "ids": ids, "last_logits": [float(x) for x in out],
                           "greedy_new_tokens": [int(t) for t in gen[0, len(ids):]]})

    reference = {
        "fixture": name, "family": family, "dtype": str(dtype).replace("torch.", ""),
        "transformers_version": transformers.__version__, "tokenizers_version": tokenizers.__version__,
        "torch_version": torch.__version__,
        "parameters": sum(p.numel() for p in loaded.parameters()),
        "vocab_size": vocab_size, "tokenizer_size": len(loaded_tok),
        "special_tokens": {"bos": loaded_tok.bos_token, "eos": loaded_tok.eos_token, "pad": loaded_tok.pad_token},
        "tensor_names": sorted(loaded.state_dict().keys()),
        "texts": texts, "chats": chats, "logits": logits,
    }
    with open(os.path.join(out_dir, name + ".reference.json"), "w", encoding="utf-8") as f:
        json.dump(reference, f, ensure_ascii=False, indent=1)
    print(name, "files:", sorted(os.listdir(folder)), "tokenizer size", len(loaded_tok), "vocab_size", vocab_size,
          "params", reference["parameters"], flush=True)
    print(open(os.path.join(folder, "config.json")).read(), flush=True)


def main():
    out_dir = sys.argv[1] if len(sys.argv) > 1 else "hf-fixtures-out"
    os.makedirs(out_dir, exist_ok=True)
    torch.use_deterministic_algorithms(True)
    print("torch", torch.__version__, "transformers", transformers.__version__, "tokenizers", tokenizers.__version__, flush=True)
    failed = []
    for name, family, kwargs in [("llama", "llama", {"shard": "150KB"}), ("qwen2", "qwen2", {}), ("qwen3", "qwen3", {}),
                                 ("qwen3-bf16", "qwen3", {"dtype": torch.bfloat16})]:
        try:
            make(name, family, out_dir, **kwargs)
        except Exception:  # report every fixture's failure, not only the first
            traceback.print_exc()
            failed.append(name)
    if failed:
        sys.exit("failed: " + ", ".join(failed))


if __name__ == "__main__":
    main()
