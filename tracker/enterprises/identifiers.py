"""Firm identifiers: the USCC (GB 32100-2015) and the customs registration code."""
import unicodedata

USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_USCC_VALUE = {ch: i for i, ch in enumerate(USCC_ALPHABET)}
_USCC_CHARACTERS = frozenset(USCC_ALPHABET)


class IdentifierError(ValueError):
    """An identifier that cannot be accepted; *code* names the reason, *expected* the check character."""

    def __init__(self, code: str, expected: str | None = None):
        super().__init__(code)
        self.code = code
        self.expected = expected


def normalise_code(raw: str) -> str:
    """Full-width to half-width (NFKC), spaces removed, upper case."""
    return "".join(unicodedata.normalize("NFKC", raw or "").split()).upper()


def uscc_check_character(first17: str) -> str:
    value = _USCC_VALUE
    total = sum([value[ch] * w for ch, w in zip(first17, USCC_WEIGHTS)])
    return USCC_ALPHABET[(31 - total % 31) % 31]


def validate_uscc(raw: str, *, allow_bad_check: bool = False) -> str:
    """Return the normalised USCC or raise IdentifierError ('length', 'characters', 'region', 'check')."""
    code = normalise_code(raw)
    if len(code) != 18:
        raise IdentifierError("length")
    if not _USCC_CHARACTERS.issuperset(code):
        raise IdentifierError("characters")
    if not code[2:8].isdigit():
        raise IdentifierError("region")
    expected = uscc_check_character(code[:17])
    if code[17] != expected and not allow_bad_check:
        raise IdentifierError("check", expected)
    return code


def validate_customs_code(raw: str) -> str:
    code = normalise_code(raw)
    if len(code) != 10 or not code.isdigit():
        raise IdentifierError("customs_code")
    return code
