"""Fetches only what a causal LM needs from the Hugging Face Hub, at the pinned revision."""

from __future__ import annotations

import json
import logging
from pathlib import Path

from . import constants as c
from .errors import DownloadError
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


def choose_files(siblings: list[tuple[str, int]], allow_pickle: bool = False) -> list[tuple[str, int]]:
    """The files to fetch: config and tokenizer files, and one weights format.

    Safetensors only, unless ``allow_pickle``: loading pickled ``pytorch_model*.bin`` weights runs code
    from the repository in the process that holds the Hugging Face token (and later in the endpoint).
    Only top-level files count: repositories such as Llama 3 also carry an ``original/``
    copy of the weights that the model does not need.
    """
    top = {name: size for name, size in siblings if "/" not in name}
    chosen = [(n, s) for n, s in top.items() if n in c.MODEL_FILES]
    safetensors = [(n, s) for n, s in top.items() if n.endswith(".safetensors")]
    pickles = [(n, s) for n, s in top.items() if n.startswith("pytorch_model") and n.endswith(".bin")]
    if safetensors:
        weights = safetensors + [(n, s) for n, s in top.items() if n == "model.safetensors.index.json"]
    elif pickles and allow_pickle:
        weights = pickles + [(n, s) for n, s in top.items() if n == "pytorch_model.bin.index.json"]
    elif pickles:
        raise DownloadError(
            "the repository has only pickled weights (pytorch_model*.bin), and loading a pickle runs code from the "
            "repository; use a revision with safetensors, or, for a repository you trust, set allowPickleWeights "
            "(Model.fromHuggingFace options; allow_pickle_weights in the HCL module)"
        )
    else:
        raise DownloadError(
            "the repository has no model weights (*.safetensors or pytorch_model*.bin) at its top level"
        )
    if "config.json" not in top:
        raise DownloadError("the repository has no config.json; it is not a transformers model")
    return sorted(chosen + weights)


def download(
    model_id: str, revision: str, dest: Path, token: str | None, progress: Progress, allow_pickle: bool = False
) -> str:
    """Downloads the model into ``dest`` and returns the commit it resolved to."""
    from huggingface_hub import HfApi, hf_hub_download

    api = HfApi(token=token)
    try:
        info = api.model_info(model_id, revision=revision, files_metadata=True)
    except Exception as error:
        raise _explain(error, model_id, revision, "read") from error
    files = choose_files([(s.rfilename, s.size or 0) for s in info.siblings], allow_pickle)
    total = sum(size for _, size in files)
    log.info("downloading %d files of %s at commit %s", len(files), model_id, info.sha)
    progress.phase("download", total)
    dest.mkdir(parents=True, exist_ok=True)
    for name, size in files:
        try:
            # The commit, not the branch: every file comes from the same snapshot.
            hf_hub_download(model_id, name, revision=info.sha, local_dir=str(dest), token=token)
        except Exception as error:
            raise _explain(error, model_id, revision, f"download {name} of") from error
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
