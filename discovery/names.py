"""Model-ID normalization: turn OpenRouter and provider IDs into comparable names.

A `ParsedName` keeps what identifies weights — family, version, size, tier words, in
order — as `core` tokens, and sets aside what does not: the org (checked separately), an
`instruct` flag (chat providers often omit the word), a release date (compared by its
own rules, see matching.py) and "neutral" serving words (`latest`, Together's `turbo`,
Groq's `versatile`/`instant`, `fp8`...). Sizes, versions and tiers stay in `core`, so two
IDs only compare equal when those are identical: 3.1 ≠ 3.3, 8b ≠ 70b, mini ≠ nano.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# OpenRouter routing variants of one model (`:free`, `:beta`, `:thinking`, `:extended`,
# `:exacto`, and any future `:word`): same weights, so stripped before comparing.
OPENROUTER_VARIANT_RE = re.compile(r":[a-z0-9][a-z0-9._-]*$", re.IGNORECASE)

ORG_ALIASES = {
    "meta-llama": "meta", "meta": "meta", "facebook": "meta",
    "qwen": "qwen", "alibaba": "qwen",
    "moonshotai": "moonshot", "moonshot": "moonshot",
    "openai": "openai",
    "deepseek-ai": "deepseek", "deepseek": "deepseek",
    "zai-org": "zai", "z-ai": "zai", "thudm": "zai", "zai": "zai",
    "mistralai": "mistral", "mistral": "mistral",
    "google": "google",
    "anthropic": "anthropic",
    "amazon": "amazon",
    "x-ai": "xai", "xai": "xai",
    "cohere": "cohere", "cohereforai": "cohere", "coherelabs": "cohere",
    "ai21": "ai21", "ai21labs": "ai21",
    "minimax": "minimax", "minimaxai": "minimax",
    "nvidia": "nvidia",
    "microsoft": "microsoft",
}
# Words that some providers put in front of a model name for the vendor ("qwen-qwq-32b",
# "zai-glm-4.6", "Meta-Llama-3.1-8B"): an alias without them is indexed too.
ORG_WORDS = {"qwen": "qwen", "meta": "meta", "zai": "zai", "mistral": "mistral", "deepseek": "deepseek",
             "google": "google", "moonshotai": "moonshot", "nvidia": "nvidia", "microsoft": "microsoft"}

UNIVERSAL_NEUTRAL = frozenset({"latest", "fp8", "bf16", "fp16", "hf", "pt"})
# Serving-tier words that name a deployment, not different weights — only for the
# provider that uses them that way (OpenAI's gpt-4-turbo IS a different model).
PROVIDER_NEUTRAL = {
    "together": frozenset({"turbo", "lite", "reference"}),
    "deepinfra": frozenset({"turbo"}),
    "groq": frozenset({"versatile", "instant"}),
}
INSTRUCT_WORDS = frozenset({"instruct", "it"})
REVISION_RE = re.compile(r"^00\d$")  # Google's -001 stable revisions

BEDROCK_REGION_RE = re.compile(r"^(?:us|eu|apac|ap|global|us-gov|ca|jp|au)\.")
BEDROCK_VERSION_RE = re.compile(r"-v\d+(?::\d+)?$")
FIREWORKS_PATH_RE = re.compile(r"^accounts/[^/]+/models/")
FIREWORKS_P_RE = re.compile(r"(?<=\d)p(?=\d)")
# "3-3", "3_3" between single digits is a decimal version (bedrock llama3-3, anthropic
# claude-3-5, HF Llama-3_3); "4-20250514" or "3-8b" are not.
DECIMAL_RE = re.compile(r"(?<![\d.])(\d)[-_](\d)(?![\w.])")
SPLIT_RE = re.compile(r"[^a-z0-9.]+|(?<!\d)\.|\.(?!\d)")
LETTER_DIGIT_RE = re.compile(r"(?<=[a-z])(?=\d)")


@dataclass(frozen=True)
class DateTag:
    """A release date as far as the ID states it; missing parts are None."""

    year: int | None
    month: int | None
    day: int | None = None
    text: str = ""

    def same(self, other: "DateTag") -> bool:
        """Strict: every part both sides state is equal (an ID that pins a snapshot)."""
        pairs = [(self.year, other.year), (self.month, other.month), (self.day, other.day)]
        stated = [(a, b) for a, b in pairs if a is not None and b is not None]
        return bool(stated) and all(a == b for a, b in stated) and self.month is not None

    def same_month(self, other: "DateTag") -> bool:
        """Loose: OpenRouter's canonical-slug dates are its own listing dates, often a few
        days off the provider's snapshot date, but within the same month."""
        if self.month is None or other.month is None or self.month != other.month:
            return False
        return self.year is None or other.year is None or self.year == other.year

    def iso(self) -> str:
        parts = [f"{self.year:04d}" if self.year else "????", f"{self.month:02d}" if self.month else "??"]
        if self.day:
            parts.append(f"{self.day:02d}")
        return "-".join(parts)


@dataclass(frozen=True)
class ParsedName:
    raw: str
    org: str  # canonical org or ""
    core: tuple[str, ...]
    instruct: bool
    date: DateTag | None
    neutral: tuple[str, ...]
    rules: tuple[str, ...] = ()  # provider-specific rewrites applied (for the reasoning)
    decorations: int = 0  # e.g. a Bedrock region prefix: prefer the plain ID on a tie

    @property
    def key(self) -> tuple[str, ...]:
        return self.core


def canonical_org(org: str) -> str:
    org = org.strip().lower()
    return ORG_ALIASES.get(org, org)


def strip_variant(openrouter_id: str) -> str:
    return OPENROUTER_VARIANT_RE.sub("", openrouter_id.strip())


# OpenRouter's router aliases (`~anthropic/claude-sonnet-latest`) point at another entry of the
# catalog; they are folded under the model they route to (see discovery.selectors).
ROUTER_ALIAS_PREFIX = "~"


def is_router_alias(openrouter_id: str) -> bool:
    return openrouter_id.strip().startswith(ROUTER_ALIAS_PREFIX)


def openrouter_base_id(openrouter_id: str) -> str:
    """The model an OpenRouter ID names, without its routing variant or alias marker:
    `moonshotai/kimi-k2-0905:exacto` and `~moonshotai/kimi-k2-0905` → `moonshotai/kimi-k2-0905`.
    One model is one row in the report, the email and the admin."""
    return strip_variant(openrouter_id.strip().lstrip(ROUTER_ALIAS_PREFIX))


def openrouter_variant_label(openrouter_id: str) -> str:
    """How an ID differs from its base model (`:free`, `~` for an alias, `~…:free`), or ""."""
    text = openrouter_id.strip()
    suffix = OPENROUTER_VARIANT_RE.search(text)
    label = suffix.group(0) if suffix else ""
    return (ROUTER_ALIAS_PREFIX + label) if is_router_alias(text) else label


def _month_ok(m: int) -> bool:
    return 1 <= m <= 12


def _take_date(tokens: list[str]) -> DateTag | None:
    """Remove and return a trailing date in any of the forms IDs use."""
    if not tokens:
        return None
    last = tokens[-1]
    if re.fullmatch(r"20\d{6}", last) and _month_ok(int(last[4:6])):  # 20250929
        tokens.pop()
        return DateTag(int(last[:4]), int(last[4:6]), int(last[6:8]), last)
    if len(tokens) >= 3 and re.fullmatch(r"20\d\d", tokens[-3]) and re.fullmatch(r"\d\d", tokens[-2]) \
            and re.fullmatch(r"\d\d", last) and _month_ok(int(tokens[-2])):  # 2025-08-07
        y, m, d = tokens[-3:]
        del tokens[-3:]
        return DateTag(int(y), int(m), int(d), f"{y}-{m}-{d}")
    if len(tokens) >= 2 and re.fullmatch(r"\d\d", tokens[-2]) and re.fullmatch(r"20\d\d", last) \
            and _month_ok(int(tokens[-2])):  # 09-2025 (Gemini previews, Cohere)
        m, y = tokens[-2:]
        del tokens[-2:]
        return DateTag(int(y), int(m), None, f"{m}-{y}")
    if len(tokens) >= 2 and re.fullmatch(r"\d\d", tokens[-2]) and re.fullmatch(r"\d\d", last) \
            and _month_ok(int(tokens[-2])) and len(tokens) > 2:  # 06-05: month first, then day or year
        m, d = tokens[-2:]
        del tokens[-2:]
        return DateTag(None, int(m), None, f"{m}-{d}")
    if re.fullmatch(r"\d{4}", last) and len(tokens) > 1:
        a, b = int(last[:2]), int(last[2:])
        if 23 <= a <= 29 and _month_ok(b):  # 2507 = 2025-07
            tokens.pop()
            return DateTag(2000 + a, b, None, last)
        if _month_ok(a) and 1 <= b <= 31:  # 0905 = Sep 5
            tokens.pop()
            return DateTag(None, a, b, last)
    return None


def _tokens(text: str) -> list[str]:
    text = DECIMAL_RE.sub(r"\1.\2", text)
    out = []
    for chunk in SPLIT_RE.split(text):
        if not chunk:
            continue
        for token in LETTER_DIGIT_RE.split(chunk):
            if not token:
                continue
            if re.fullmatch(r"\d+\.0", token):  # "4-0" alias of "4"
                token = token[:-2]
            out.append(token)
    return out


def parse_name(text: str, *, org: str = "", neutral_words: frozenset = UNIVERSAL_NEUTRAL,
               rules: tuple[str, ...] = (), decorations: int = 0, base: bool = False) -> ParsedName:
    """Parse one model name (no org path) into a ParsedName."""
    lowered = text.strip().lower()
    tokens = _tokens(lowered)
    neutral = [t for t in tokens if t in neutral_words or REVISION_RE.match(t)]
    tokens = [t for t in tokens if not (t in neutral_words or REVISION_RE.match(t))]
    instruct = any(t in INSTRUCT_WORDS for t in tokens)
    tokens = [t for t in tokens if t not in INSTRUCT_WORDS]
    date = _take_date(tokens)
    if tokens[-2:] == ["v", "1"]:  # "nova-lite-v1" == "nova-lite" (Bedrock's -v1:0 is stripped)
        tokens = tokens[:-2]
    # "v3.3" / "V3": a version marker some IDs carry and others omit (fireworks
    # llama-v3p3-70b, HF DeepSeek-V3); the number itself stays.
    tokens = [t for i, t in enumerate(tokens)
              if not (t == "v" and i + 1 < len(tokens) and re.fullmatch(r"\d+(\.\d+)?", tokens[i + 1]))]
    if tokens[:2] == ["meta", "llama"]:  # HF "Meta-Llama-3.1-8B"
        tokens = tokens[1:]
    if base and "base" not in tokens:
        tokens.append("base")
    return ParsedName(raw=text, org=canonical_org(org) if org else "", core=tuple(tokens), instruct=instruct,
                      date=date, neutral=tuple(neutral), rules=rules, decorations=decorations)


def split_org(model_path: str) -> tuple[str, str]:
    if "/" in model_path:
        org, _, name = model_path.rpartition("/")
        return org.rsplit("/", 1)[-1], name
    return "", model_path


def parse_provider_id(provider: str, model_id: str) -> list[ParsedName]:
    """All names a provider's model ID may go by (the literal one first, then aliases)."""
    neutral_words = UNIVERSAL_NEUTRAL | PROVIDER_NEUTRAL.get(provider, frozenset())
    text = model_id.strip()
    org = ""
    rules: list[str] = []
    decorations = 0
    lowered = text.lower()
    if provider == "bedrock":
        if BEDROCK_REGION_RE.match(lowered):
            lowered = BEDROCK_REGION_RE.sub("", lowered)
            decorations += 1
            rules.append("bedrock region prefix")
        if "." in lowered.split("-")[0]:
            org, _, lowered = lowered.partition(".")
            rules.append("bedrock vendor prefix")
        if BEDROCK_VERSION_RE.search(lowered):
            lowered = BEDROCK_VERSION_RE.sub("", lowered)
            rules.append("bedrock -vN:M suffix")
    elif provider == "fireworks":
        if FIREWORKS_PATH_RE.match(lowered):
            lowered = FIREWORKS_PATH_RE.sub("", lowered)
            rules.append("fireworks accounts/…/models/ path")
        if FIREWORKS_P_RE.search(lowered):
            lowered = FIREWORKS_P_RE.sub(".", lowered)
            rules.append("fireworks 'p' version notation")
    elif provider == "vertex" and "@" in lowered:
        lowered = lowered.replace("@", "-")
        rules.append("vertex @date")
    if not org:
        org, lowered = split_org(lowered)
    renamed = VENDOR_RENAMES.get((provider, model_id))
    if renamed:
        org, lowered = split_org(renamed)
        rules.append(f"vendor rename → {renamed}")
    primary = parse_name(lowered, org=org, neutral_words=neutral_words, rules=tuple(rules), decorations=decorations)
    names = [primary]
    core = primary.core
    # "qwen-qwq-32b" / "zai-glm-4.6": the vendor word in front of an otherwise whole name.
    if len(core) >= 3 and core[0] in ORG_WORDS and core[1].isalpha():
        names.append(ParsedName(raw=primary.raw, org=primary.org or ORG_WORDS[core[0]], core=core[1:],
                                instruct=primary.instruct, date=primary.date, neutral=primary.neutral,
                                rules=primary.rules + (f"vendor word '{core[0]}' dropped",),
                                decorations=decorations + 1))
    # Bedrock "deepseek.r1": the vendor is the prefix, the name lacks it.
    if provider == "bedrock" and org and core and core[0] != org and org in ORG_WORDS:
        names.append(ParsedName(raw=primary.raw, org=primary.org, core=(org, *core), instruct=primary.instruct,
                                date=primary.date, neutral=primary.neutral,
                                rules=primary.rules + (f"vendor '{org}' prepended",), decorations=decorations))
    return names


# Vendor renames the name rules cannot see: the provider's own alias for a model that
# OpenRouter lists under its release name. Dated knowledge (checked 2025-12-02) — when a
# vendor repoints an alias this table must follow, which is why it is small and explicit.
VENDOR_RENAMES = {
    ("deepseek", "deepseek-chat"): "deepseek/deepseek-v3.2",
    ("deepseek", "deepseek-reasoner"): "deepseek/deepseek-v3.2-reasoner",
    ("mistral", "open-mistral-7b"): "mistralai/mistral-7b-instruct",
    ("mistral", "open-mixtral-8x7b"): "mistralai/mixtral-8x7b-instruct",
    ("mistral", "open-mixtral-8x22b"): "mistralai/mixtral-8x22b-instruct",
    ("mistral", "mistral-medium-2508"): "mistralai/mistral-medium-3.1",
    ("mistral", "mistral-medium-2505"): "mistralai/mistral-medium-3",
    ("bedrock", "deepseek.v3-v1:0"): "deepseek/deepseek-v3.1",
}
