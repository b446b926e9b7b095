"""Fetches only what a causal LM needs from the Hugging Face Hub, at the pinned revision."""

from __future__ import annotations

import json
import logging
from pathlib import Path

from . import constants as c
from .errors import DownloadError, UnsupportedModelError
from .progress import Progress

log = logging.getLogger(__name__)


def read_hf_token(secret_arn: str | None, secrets_client) -> str | None:
    """The token from Secrets Manager: the secret string itself, or its "token" / "HF_TOKEN" key if it is JSON."""
    if not secret_arn:
        return None
    try:
        secret = secrets_client.get_secret_value(SecretId=secret_arn)["SecretString"]
    except Exception as error:
        # The error names the secret, never its value.
        raise DownloadError(f"could not read the Hugging Face token secret {secret_arn}: {error}") from error
    secret = secret.strip()
    if secret.startswith("{"):
        try:
            data = json.loads(secret)
        except ValueError:
            raise DownloadError(f"the secret {secret_arn} looks like JSON but does not parse") from None
        secret = str(data.get("token") or data.get("HF_TOKEN") or "").strip()
    if not secret:
        raise DownloadError(f"the secret {secret_arn} holds no token (expected the token, or JSON with a 'token' key)")
    return secret


def weights_index(siblings: list[tuple[str, int]]) -> str | None:
    """The index file that names the weights to fetch, when the layout transformers-neuronx will load is sharded."""
    top = {name for name, _ in siblings if "/" not in name}
    for single, index in ((c.SAFETENSORS, c.SAFETENSORS_INDEX), (c.PYTORCH_BIN, c.PYTORCH_BIN_INDEX)):
        if single in top:
            return None
        if index in top:
            return index
    return None


def choose_files(
    siblings: list[tuple[str, int]], index: dict | None = None, allow_pickle: bool = False
) -> list[tuple[str, int]]:
    """The files to fetch: config and tokenizer files, and the weights transformers-neuronx will load.

    Its loader takes the first layout present of model.safetensors, model.safetensors.index.json (the
    files its weight_map names), pytorch_model.bin and pytorch_model.bin.index.json; so only those files
    are fetched. Other top-level weights (Mistral's consolidated.safetensors beside the shards) and
    subfolders (Llama 3's original/) would double the download, the artifacts and the endpoint's volume.
    ``index`` is the parsed index file that ``weights_index`` names, when there is one.

    Safetensors only, unless ``allow_pickle``: loading pickled ``pytorch_model*.bin`` weights runs code
    from the repository in the process that holds the Hugging Face token (and later in the endpoint).
    """
    top = {name: size for name, size in siblings if "/" not in name}
    if "config.json" not in top:
        raise DownloadError("the repository has no config.json; it is not a transformers model")
    chosen = [(n, s) for n, s in top.items() if n in c.MODEL_FILES]
    index_name = weights_index(siblings)
    if c.SAFETENSORS in top:
        weights = [c.SAFETENSORS]
    elif c.PYTORCH_BIN in top and index_name is None and c.SAFETENSORS_INDEX not in top:
        weights = [c.PYTORCH_BIN]
    elif index_name is not None:
        if not isinstance(index, dict) or not isinstance(index.get("weight_map"), dict) or not index["weight_map"]:
            raise DownloadError(f"{index_name} has no weight_map naming the weight files")
        named = sorted(set(index["weight_map"].values()))
        missing = [n for n in named if n not in top]
        if missing:
            raise DownloadError(f"{index_name} names weight files the repository does not have: {', '.join(missing)}")
        weights = [index_name, *named]
    else:
        raise DownloadError(
            "the repository has none of the weight layouts transformers-neuronx loads (model.safetensors, "
            "model.safetensors.index.json with its shards, pytorch_model.bin, pytorch_model.bin.index.json with its "
            "shards) at its top level"
        )
    if not allow_pickle and any(n.endswith(".bin") for n in weights):
        raise DownloadError(
            "the repository offers only pickled weights (pytorch_model*.bin) in a layout transformers-neuronx loads, and loading a pickle runs code "
            "from the repository; use a revision with safetensors, or, for a repository you trust, set allowPickleWeights "
            "(Model.fromHuggingFace options; allow_pickle_weights in the HCL module)"
        )
    return sorted(chosen + [(n, top[n]) for n in weights])


def check_model_type(config: dict) -> str:
    """The checkpoint's model_type, when transformers-neuronx can compile and the endpoint serve it."""
    model_type = config.get("model_type") if isinstance(config, dict) else None
    served = ", ".join(c.SERVED_MODEL_TYPES)
    if model_type in c.SERVED_MODEL_TYPES:
        return model_type
    if model_type in c.UNSAVABLE_MODEL_TYPES:
        raise UnsupportedModelError(
            f"config.json says model_type {model_type!r}: transformers-neuronx 0.13 cannot save or load its compiled "
            f"form, so the endpoint would recompile it at every instance start; the served model types are {served}"
        )
    raise UnsupportedModelError(
        f"config.json says model_type {model_type!r}, which transformers-neuronx 0.13 does not support; "
        f"the served model types are {served}. No weights were downloaded"
    )


def download(
    model_id: str,
    revision: str,
    dest: Path,
    token: str | None,
    progress: Progress,
    allow_pickle: bool = False,
    model_type_check=check_model_type,
) -> str:
    """Downloads the model into ``dest`` and returns the commit it resolved to.

    config.json comes first: a model type the recipe cannot compile (``model_type_check``, by default
    transformers-neuronx's) fails here, before any weight.
    """
    from huggingface_hub import HfApi, hf_hub_download

    api = HfApi(token=token)
    try:
        info = api.model_info(model_id, revision=revision, files_metadata=True)
    except Exception as error:
        raise _explain(error, model_id, revision, "read") from error
    siblings = [(s.rfilename, s.size or 0) for s in info.siblings]
    dest.mkdir(parents=True, exist_ok=True)
    fetched: set[str] = set()

    def fetch(name: str) -> Path:
        try:
            # The commit, not the branch: every file comes from the same snapshot.
            path = hf_hub_download(model_id, name, revision=info.sha, local_dir=str(dest), token=token)
        except Exception as error:
            raise _explain(error, model_id, revision, f"download {name} of") from error
        fetched.add(name)
        return Path(path)

    def fetch_json(name: str) -> dict:
        try:
            return json.loads(fetch(name).read_text())
        except ValueError as error:
            raise DownloadError(f"{name} of {model_id} is not valid JSON: {error}") from None

    if "config.json" not in {name for name, _ in siblings}:
        raise DownloadError("the repository has no config.json; it is not a transformers model")
    model_type = model_type_check(fetch_json("config.json"))
    index_name = weights_index(siblings)
    files = choose_files(siblings, fetch_json(index_name) if index_name else None, allow_pickle)
    total = sum(size for _, size in files)
    log.info("downloading %d files of %s (%s) at commit %s", len(files), model_id, model_type, info.sha)
    progress.phase("download", total)
    for name, size in files:
        if name not in fetched:
            fetch(name)
        progress.advance(size)
    # hf_hub_download keeps its bookkeeping in .cache/ under local_dir; it is not part of the model.
    _remove_tree(dest / ".cache")
    return info.sha


def _explain(error: Exception, model_id: str, revision: str, action: str) -> DownloadError:
    """A Hub error as a message that says what to do."""
    from huggingface_hub.utils import GatedRepoError, RepositoryNotFoundError, RevisionNotFoundError

    if isinstance(error, GatedRepoError):
        return DownloadError(
            f"{model_id} is gated: accept its license on the Hub with your account, store a token of that account "
            "in Secrets Manager and set huggingFaceTokenSecretArn (a token without access gets the same answer)"
        )
    if isinstance(error, RevisionNotFoundError):
        return DownloadError(f"{model_id} has no revision {revision!r}")
    if isinstance(error, RepositoryNotFoundError):
        return DownloadError(
            f"{model_id} was not found on the Hub (or it is private and no token with access was given)"
        )
    return DownloadError(f"could not {action} {model_id}@{revision} from the Hub: {type(error).__name__}: {error}")


def _remove_tree(path: Path) -> None:
    import shutil

    shutil.rmtree(path, ignore_errors=True)
