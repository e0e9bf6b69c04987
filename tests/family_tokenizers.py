"""Test tokenizers of the five model families, derived from the real Qwen3 tokenizer.

`../shared/tokenizers/qwen3` holds Qwen3's tokenizer (see its README). s1, s1.1
and QwQ use the same byte-level BPE and the same ids up to 151,664, and differ
only in the chat template; DeepSeek-R1-Distill-Qwen uses the same BPE with
DeepSeek's special tokens at other ids. The chat templates below are written
from each family's published prompt format:

- Qwen2.5-Instruct (what s1 and s1.1 were tuned from and evaluated with):
  ChatML, with the system turn "You are Qwen, created by Alibaba Cloud. You are
  a helpful assistant." when the conversation has none.
- QwQ-32B: ChatML without a default system turn; the generation prompt already
  opens thinking with "<think>\\n".
- DeepSeek-R1-Distill-Qwen: BOS, the system text, "<｜User｜>" turns and a
  generation prompt "<｜Assistant｜><think>\\n".
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
QWEN3_TOKENIZER = REPO.parent / "shared" / "tokenizers" / "qwen3"
FAMILIES = ("qwen3", "qwen2.5-instruct", "qwq", "r1-distill-qwen")
QWEN_DEFAULT_SYSTEM = "You are Qwen, created by Alibaba Cloud. You are a helpful assistant."

QWEN25_INSTRUCT_TEMPLATE = (
    "{%- if messages[0]['role'] == 'system' %}"
    "{{- '<|im_start|>system\\n' + messages[0]['content'] + '<|im_end|>\\n' }}"
    "{%- set turns = messages[1:] %}"
    "{%- else %}"
    "{{- '<|im_start|>system\\n" + QWEN_DEFAULT_SYSTEM + "<|im_end|>\\n' }}"
    "{%- set turns = messages %}"
    "{%- endif %}"
    "{%- for message in turns %}"
    "{{- '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>\\n' }}"
    "{%- endfor %}"
    "{%- if add_generation_prompt %}{{- '<|im_start|>assistant\\n' }}{%- endif %}"
)
QWQ_TEMPLATE = (
    "{%- for message in messages %}"
    "{%- set content = message['content'] %}"
    "{%- if message['role'] == 'assistant' %}"
    "{%- set content = content.split('</think>')[-1].lstrip() %}"
    "{%- endif %}"
    "{{- '<|im_start|>' + message['role'] + '\\n' + content + '<|im_end|>\\n' }}"
    "{%- endfor %}"
    "{%- if add_generation_prompt %}{{- '<|im_start|>assistant\\n<think>\\n' }}{%- endif %}"
)
R1_DISTILL_TEMPLATE = (
    "{{- bos_token }}"
    "{%- for message in messages if message['role'] == 'system' %}{{- message['content'] }}{%- endfor %}"
    "{%- for message in messages %}"
    "{%- if message['role'] == 'user' %}{{- '<｜User｜>' + message['content'] }}"
    "{%- elif message['role'] == 'assistant' %}"
    "{{- '<｜Assistant｜>' + message['content'].split('</think>')[-1] + '<｜end▁of▁sentence｜>' }}"
    "{%- endif %}"
    "{%- endfor %}"
    "{%- if add_generation_prompt %}{{- '<｜Assistant｜><think>\\n' }}{%- endif %}"
)
# DeepSeek's special tokens at the ids of the R1-Distill-Qwen tokenizer (shared/tokenizers/README.md).
R1_SPECIAL_TOKENS = {
    151643: "<｜end▁of▁sentence｜>",
    151644: "<｜User｜>",
    151645: "<｜Assistant｜>",
    151646: "<｜begin▁of▁sentence｜>",
    151647: "<|EOT|>",
    151648: "<think>",
    151649: "</think>",
}
R1_VOCAB_END = 151665  # R1-Distill-Qwen has no added tokens past <|file_sep|> (151664)


def build_family_tokenizer(family: str, directory: Path) -> Path:
    """Write the test tokenizer of `family` (one of FAMILIES) into `directory` and return it."""
    if family not in FAMILIES:
        raise ValueError(f"unknown family {family!r}; known: {', '.join(FAMILIES)}")
    directory.mkdir(parents=True, exist_ok=True)
    config = json.loads((QWEN3_TOKENIZER / "tokenizer_config.json").read_text())
    if family == "r1-distill-qwen":
        _write_r1_distill(config, directory)
        return directory
    shutil.copyfile(QWEN3_TOKENIZER / "tokenizer.json", directory / "tokenizer.json")
    if family == "qwen2.5-instruct":
        config["chat_template"] = QWEN25_INSTRUCT_TEMPLATE
    elif family == "qwq":
        config["chat_template"] = QWQ_TEMPLATE
    _write_json(directory / "tokenizer_config.json", config)
    return directory


def _write_r1_distill(config: dict, directory: Path) -> None:
    """Rename the added tokens to DeepSeek's, declare LlamaTokenizerFast beside a qwen2 config.json."""
    core = json.loads((QWEN3_TOKENIZER / "tokenizer.json").read_text())
    added = []
    for token in core["added_tokens"]:
        if token["id"] >= R1_VOCAB_END:
            continue
        if token["id"] in R1_SPECIAL_TOKENS:
            token = {**token, "content": R1_SPECIAL_TOKENS[token["id"]], "special": True}
        added.append(token)
    core["added_tokens"] = added
    _write_json(directory / "tokenizer.json", core)
    names = {str(token["id"]): token for token in added}
    config["added_tokens_decoder"] = {
        key: {**value, "content": names[key]["content"], "special": names[key]["special"]}
        for key, value in config["added_tokens_decoder"].items()
        if key in names
    }
    config.update(
        tokenizer_class="LlamaTokenizerFast",
        bos_token=R1_SPECIAL_TOKENS[151646],
        eos_token=R1_SPECIAL_TOKENS[151643],
        pad_token=R1_SPECIAL_TOKENS[151643],
        add_bos_token=True,
        add_eos_token=False,
        additional_special_tokens=[],
        chat_template=R1_DISTILL_TEMPLATE,
    )
    _write_json(directory / "tokenizer_config.json", config)
    # Without a config.json beside it, transformers loads this byte-level BPE as a SentencePiece one.
    _write_json(directory / "config.json", {"model_type": "qwen2", "architectures": ["Qwen2ForCausalLM"]})


def _write_json(path: Path, value: dict) -> None:
    path.write_text(json.dumps(value, ensure_ascii=False, indent=1))


# The model profiles of conf/model/ and the test tokenizer of their family.
SERVED_FAMILY = "qwen2.5-instruct"  # the tokenizer inside the real-vocabulary test model's folder: s1's
PROFILE_FAMILIES = {
    "s1-32b": "qwen2.5-instruct",
    "s1.1-32b": "qwen2.5-instruct",
    "r1-distill-qwen-32b": "r1-distill-qwen",
    "qwq-32b": "qwq",
    "qwen3-32b": "qwen3",
}
