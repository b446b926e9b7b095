"""A tokenizer for the chat contract without transformers (which alone would take half of a .zip
function's 250 MB): `tokenizers` encodes and decodes, jinja2 renders the chat template.

The rendering follows transformers 4.57's (transformers/utils/chat_template_utils.py:
`_compile_jinja_template`, `render_jinja_template`, and `apply_chat_template` in
tokenization_utils_base.py): an immutable sandbox with trim_blocks and lstrip_blocks, the
loopcontrols extension, `raise_exception`, `strftime_now` and a `tojson` that does not escape HTML,
rendered with the messages, `add_generation_prompt` and the special tokens. A test checks that this
and transformers' PreTrainedTokenizerFast give the same prompt, ids and text.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

from chat_contract.errors import ModelLoadError

from . import constants as c

SPECIAL_TOKENS = ("bos_token", "eos_token", "unk_token", "sep_token", "pad_token", "cls_token", "mask_token")


def _content(token):
    """A special token as tokenizer_config.json writes it: a string, or an AddedToken dict."""
    return token.get("content") if isinstance(token, dict) else token


def _clean_up_tokenization(text: str) -> str:
    # transformers' PreTrainedTokenizerBase.clean_up_tokenization, applied when the tokenizer's
    # config asks for it (clean_up_tokenization_spaces).
    for before, after in ((" .", "."), (" ?", "?"), (" !", "!"), (" ,", ","), (" ' ", "'"), (" n't", "n't")):
        text = text.replace(before, after)
    for suffix in ("'m", "'s", "'ve", "'re"):
        text = text.replace(f" {suffix}", suffix)
    return text


class ChatTokenizer:
    """Encodes, decodes and applies the chat template of a Hugging Face tokenizer directory."""

    def __init__(self, directory: Path):
        from tokenizers import Tokenizer

        self.directory = Path(directory)
        config = json.loads((self.directory / c.TOKENIZER_CONFIG_FILE).read_text())
        special_map = self.directory / "special_tokens_map.json"
        specials = json.loads(special_map.read_text()) if special_map.exists() else {}
        self.special_tokens = {
            name: _content(config.get(name, specials.get(name)))
            for name in SPECIAL_TOKENS
            if config.get(name, specials.get(name)) is not None
        }
        extra = config.get("additional_special_tokens", specials.get("additional_special_tokens"))
        if extra:
            self.special_tokens["additional_special_tokens"] = [_content(t) for t in extra]
        self.clean_up_spaces = bool(config.get("clean_up_tokenization_spaces", False))
        self.chat_template = self._read_chat_template(config)
        self._tokenizer = Tokenizer.from_file(str(self.directory / c.TOKENIZER_FILE))
        self._template = None
        eos = self.special_tokens.get("eos_token")
        self.eos_token_id = self._tokenizer.token_to_id(eos) if eos else None

    def _read_chat_template(self, config: dict) -> str | None:
        # transformers 4.43+ saves the template in chat_template.jinja; older tokenizers keep it in
        # tokenizer_config.json, as a string or as named templates of which "default" is used.
        file = self.directory / c.CHAT_TEMPLATE_FILE
        if file.exists():
            return file.read_text()
        template = config.get("chat_template")
        if isinstance(template, list):
            named = {t.get("name"): t.get("template") for t in template if isinstance(t, dict)}
            template = named.get("default")
        return template if isinstance(template, str) else None

    def _compiled(self):
        if self._template is None:
            import jinja2
            from jinja2.ext import loopcontrols
            from jinja2.sandbox import ImmutableSandboxedEnvironment

            def raise_exception(message):
                raise jinja2.exceptions.TemplateError(message)

            def tojson(x, ensure_ascii=False, indent=None, separators=None, sort_keys=False):
                return json.dumps(
                    x, ensure_ascii=ensure_ascii, indent=indent, separators=separators, sort_keys=sort_keys
                )

            env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True, extensions=[loopcontrols])
            env.filters["tojson"] = tojson
            env.globals["raise_exception"] = raise_exception
            env.globals["strftime_now"] = lambda fmt: datetime.now().strftime(fmt)
            self._template = env.from_string(self.chat_template)
        return self._template

    def apply_chat_template(self, messages, tokenize=False, add_generation_prompt=False):
        """The prompt text, as transformers' `apply_chat_template(..., tokenize=False)` renders it."""
        if tokenize:
            raise ValueError("ChatTokenizer renders text only; encode it with the tokenizer")
        if not self.chat_template:
            raise ModelLoadError(f"the tokenizer in {self.directory} has no chat template; serve a chat model")
        return self._compiled().render(
            messages=messages, add_generation_prompt=add_generation_prompt, **self.special_tokens
        )

    def __call__(self, text: str, add_special_tokens: bool = True) -> dict:
        return {"input_ids": self._tokenizer.encode(text, add_special_tokens=add_special_tokens).ids}

    def decode(self, ids, skip_special_tokens: bool = False) -> str:
        text = self._tokenizer.decode(list(ids), skip_special_tokens=skip_special_tokens)
        return _clean_up_tokenization(text) if self.clean_up_spaces else text
