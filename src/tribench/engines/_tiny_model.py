"""Write the tiny random-weight Llama and its word-level tokenizer (run by the engine's Python).

    <engine python> _tiny_model.py OUT_DIR

Standalone on purpose: it runs inside the engine's venv (torch, transformers, tokenizers),
never imports tribench, and writes the same bytes on every machine for the same versions:
- the vocabulary is 32,000 pseudo-words made from a fixed syllable table in a fixed order
  (`vllm bench latency` draws random token ids up to about 10,000, so the vocabulary must be
  at least that large; `bench serve --dataset-name random` decodes random ids to text and the
  server re-encodes it, which a whitespace word-level tokenizer round-trips);
- the weights come from `torch.manual_seed(SEED)` and are saved as float32 safetensors.
The model files are written to a temporary folder and renamed into place (never half a model).
"""

from __future__ import annotations

import itertools
import json
import os
import shutil
import sys
from pathlib import Path

SEED = 20240301
VOCAB_SIZE = 32000
SPECIAL = ["<unk>", "<s>", "</s>", "<pad>"]
_ONSETS = ["", "b", "d", "f", "g", "k", "l", "m", "n", "p", "r", "s", "t", "v", "z", "ch", "sh", "th"]
_VOWELS = ["a", "e", "i", "o", "u", "ai", "ou"]
_CODAS = ["", "n", "r", "s", "t", "l", "m", "k"]
CONFIG = {
    "vocab_size": VOCAB_SIZE, "hidden_size": 128, "intermediate_size": 256, "num_hidden_layers": 2,
    "num_attention_heads": 4, "num_key_value_heads": 4, "max_position_embeddings": 2048,
    "rms_norm_eps": 1e-6, "tie_word_embeddings": False, "bos_token_id": 1, "eos_token_id": 2,
    "pad_token_id": 3, "torch_dtype": "float32",
}


def words() -> list[str]:
    """SPECIAL + pseudo-words, VOCAB_SIZE in all, each unique, in a fixed order."""
    syllables = [o + v + c for o, v, c in itertools.product(_ONSETS, _VOWELS, _CODAS)]
    out: list[str] = list(SPECIAL)
    seen = set(out)
    for first, second in itertools.product(syllables, repeat=2):
        word = first + second
        if word not in seen:
            seen.add(word)
            out.append(word)
        if len(out) == VOCAB_SIZE:
            return out
    raise RuntimeError("syllable table too small for the vocabulary")


def write_tokenizer(out: Path) -> None:
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast

    vocab = {word: index for index, word in enumerate(words())}
    tokenizer = Tokenizer(models.WordLevel(vocab=vocab, unk_token="<unk>"))
    tokenizer.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    tokenizer.decoder = decoders.WordPiece(prefix="##", cleanup=False)  # joins words with spaces
    fast = PreTrainedTokenizerFast(tokenizer_object=tokenizer, unk_token="<unk>", bos_token="<s>",
                                   eos_token="</s>", pad_token="<pad>", model_max_length=2048)
    fast.save_pretrained(str(out))


def write_model(out: Path) -> None:
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM

    torch.manual_seed(SEED)
    config = LlamaConfig(**CONFIG)
    model = LlamaForCausalLM(config).to(torch.float32)
    model.save_pretrained(str(out), safe_serialization=True)
    gen = {"bos_token_id": 1, "eos_token_id": 2, "pad_token_id": 3}
    (out / "generation_config.json").write_text(json.dumps(gen, indent=2) + "\n", encoding="utf-8")


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print(__doc__.splitlines()[2].strip(), file=sys.stderr)
        return 2
    target = Path(argv[1])
    partial = target.with_name(f".{target.name}.partial-{os.getpid()}")
    if partial.exists():
        shutil.rmtree(partial)
    partial.mkdir(parents=True)
    write_model(partial)
    write_tokenizer(partial)
    if target.exists():
        shutil.rmtree(target)
    os.rename(partial, target)
    print(json.dumps({"model": str(target), "vocab_size": VOCAB_SIZE, "seed": SEED}))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
