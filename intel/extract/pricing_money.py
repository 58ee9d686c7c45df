"""Money on pricing pages: find prices in text, and read amount, currency, period and billing.

Amounts are parsed by price-parser (it knows `1.299,00 €`, `$1,299`, `¥980`) and currency
symbols are resolved to ISO codes with babel's CLDR data, using the page's language to settle
ambiguous symbols (`$`, `¥`, `kr`). The words around an amount ("/mo", "per user / month,
billed annually", "/ Monat", "/月", "one-time payment") give its period, billing and per-seat.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import lru_cache
from typing import SupportsFloat

from babel import Locale, UnknownLocaleError
from babel.numbers import get_territory_currencies
from price_parser import Price

# ISO codes that are common enough on pricing pages to be recognised as written.
_ISO = (
    "USD EUR GBP JPY INR AUD CAD CHF CNY SEK NOK DKK PLN BRL MXN NZD SGD HKD ZAR KRW "
    "RUB TRY ILS CZK HUF RON AED SAR IDR THB VND PHP MYR TWD ARS CLP COP"
).split()

# Symbols in the order a regex must try them (longest first).
_SYMBOLS: dict[str, tuple[str, ...]] = {
    "US$": ("USD",),
    "CA$": ("CAD",),
    "C$": ("CAD",),
    "A$": ("AUD",),
    "AU$": ("AUD",),
    "NZ$": ("NZD",),
    "HK$": ("HKD",),
    "S$": ("SGD",),
    "MX$": ("MXN",),
    "R$": ("BRL",),
    "CN¥": ("CNY",),
    "$": ("USD", "CAD", "AUD", "NZD", "SGD", "HKD", "MXN", "ARS", "CLP", "COP"),
    "€": ("EUR",),
    "£": ("GBP",),
    "¥": ("JPY", "CNY"),
    "￥": ("JPY", "CNY"),
    "円": ("JPY",),
    "元": ("CNY",),
    "₹": ("INR",),
    "Rs.": ("INR",),
    "₩": ("KRW",),
    "원": ("KRW",),
    "₽": ("RUB",),
    "₺": ("TRY",),
    "₪": ("ILS",),
    "₫": ("VND",),
    "₱": ("PHP",),
    "฿": ("THB",),
    "zł": ("PLN",),
    "Kč": ("CZK",),
    "Ft": ("HUF",),
    "Rp": ("IDR",),
    "kr": ("SEK", "NOK", "DKK"),
    "Fr.": ("CHF",),
}

#: a fraction of one first ("0.0015": usage prices), then thousands groups, then plain
_NUM = r"0[.,]\d{1,6}|\d{1,3}(?:[.,\u00a0\u202f ]\d{3})+(?:[.,]\d{1,2})?|\d+(?:[.,]\d{1,2})?"
_SYM = "|".join(re.escape(s) for s in sorted(_SYMBOLS, key=len, reverse=True))
_CUR = rf"(?:{_SYM}|\b(?:{'|'.join(_ISO)})\b)"
#: a currency next to a number, either way round: "$12", "12 €", "USD 12", "1.299,00 €", "980円"
PRICE_RE = re.compile(
    rf"(?P<pre>{_CUR})\s?(?P<num1>{_NUM})(?![\d%])|(?<![\d.,])(?P<num2>{_NUM})\s?(?P<post>{_CUR})"
)
HAS_CURRENCY = re.compile(_CUR)
#: a currency symbol or code anywhere, even inside a word: literals only, so the regex
#: engine skips to their first characters (a fast prefilter for PRICE_RE)
CURRENCY_TOKEN = re.compile(
    "|".join(re.escape(s) for s in sorted([*_SYMBOLS, *_ISO], key=len, reverse=True))
)
_DIGIT = re.compile(r"\d")
_DIGITS = re.compile(r"\d+")
# A match's first digit starts a run of digits (a currency holds none, and a number after
# one is preceded by it or a space); the match starts at most a currency and a space before.
_LEAD = max(len(s) for s in [*_SYMBOLS, *_ISO]) + 1
_SHORT = 48


def iter_prices(text: str) -> Iterator[re.Match[str]]:
    """Exactly `PRICE_RE.finditer(text)`, faster on long texts.

    The pattern cannot give the regex engine a first character to skip to, so a plain scan
    tries the whole alternation at every position (some 5 ms for a page's text). Here it is
    tried only in the few positions before each run of digits where a match can begin.
    """
    if len(text) <= _SHORT:
        if _DIGIT.search(text) is not None:
            yield from PRICE_RE.finditer(text)
        return
    pos = 0
    match = PRICE_RE.match
    for run in _DIGITS.finditer(text):
        first = run.start()
        if first < pos:
            continue
        for start in range(max(pos, first - _LEAD), first + 1):
            m = match(text, start)
            if m is not None:
                yield m
                pos = m.end()
                break


def has_price(text: str) -> bool:
    """`PRICE_RE.search(text)` as a bool, by `iter_prices`."""
    if _DIGIT.search(text) is None:
        return False
    return next(iter_prices(text), None) is not None


# What a plan with no number says instead of a price.
CUSTOM_RE = re.compile(
    r"^(?:custom(?: pricing| plan| quote)?|contact (?:us|sales)(?: for pricing)?|talk to (?:us|sales)"
    r"|let['’]?s talk|get (?:a )?quote|request (?:a )?(?:quote|demo|pricing)|on request"
    r"|call us|book a (?:call|demo)|price on request|tailored|flexible pricing|"
    r"auf anfrage|kontakt(?:ieren sie uns)?|preis auf anfrage|sur devis|nous contacter|contactez-nous"
    r"|cont[aá]ctanos|a medida|su richiesta|お問い合わせ|お見積もり|要相談|联系我们|문의)\W*$",
    re.I,
)
FREE_RE = re.compile(
    r"^(?:free|gratis|kostenlos|gratuit|gratuito|無料|免费|무료)(?: forever)?\W*$", re.I
)

_BILLED_ANNUAL = re.compile(
    r"billed (?:annually|yearly|per year|every year|once a year|annual)|paid (?:annually|yearly)"
    r"|(?:per|/) ?year,? billed|annual (?:billing|plan|subscription)|when billed (?:annually|yearly)"
    r"|jährliche? abrechnung|jährlich abgerechnet|facturé annuellement|facturation annuelle"
    r"|年払い|年間契約|按年"
    r"|fatturat[oa] annualmente|fatturazione annuale|pagamento annuale"
    r"|facturad[oa] anualmente|facturación anual|pago anual"
    r"|cobrad[oa] anualmente|faturad[oa] anualmente|faturamento anual"
    r"|jaarlijks gefactureerd|jaarlijkse facturering|faktureres årlig|årlig fakturering"
    r"|faktureras årligen|årsvis|rozliczan[aey]* rocznie|płatne rocznie|roczne rozliczenie"
    r"|vuosilaskutus|laskutetaan vuosittain|年付|연간 결제|оплата за год|ежегодн",
    re.I,
)
_BILLED_MONTHLY = re.compile(
    r"billed monthly|paid monthly|when billed monthly|monthly billing|month-to-month"
    r"|monatliche? abrechnung|monatlich abgerechnet|facturé mensuellement|月払い|按月"
    r"|fatturazione mensile|fatturat[oa] mensilmente|facturad[oa] mensualmente"
    r"|facturación mensual|cobrad[oa] mensalmente|faturad[oa] mensalmente"
    r"|maandelijks gefactureerd|faktureres månedlig|månedlig fakturering"
    r"|faktureras månadsvis|rozliczan[aey]* miesięcznie|laskutetaan kuukausittain"
    r"|월간 결제|ежемесячн",
    re.I,
)
_ONE_TIME = re.compile(
    r"one[- ]?time|\bonce\b|lifetime|perpetual|pay once|single payment|einmalig|paiement unique"
    r"|pago único|買い切り|一括",
    re.I,
)
_MONTH = re.compile(
    r"/\s*mo\b|/\s*m\b|\bmo\.|\bmonths?\b|\bpcm\b|\bp/m\b|\bmån\b|\bmies\b|\bmonthly\b|\bmth\b|\bmes\b|\bmensual|\bmonat|\bmtl\b"
    r"|\bmois\b|\bmensuel|\bmaand|\bmånad|\bmese\b|\bmiesi|\bmês\b|月|個月"
    r"|\bmnd\b|\bmåned|(?:/|\bpr\.?|\bper)\s*md\b|/\s*kk\b|\bkuukau|\bměsíc|\bmesiac|\bhónap|\bmensil"
    r"|\bмес(?:яц|\b)|\bμήνα|개월|/\s*월|\btháng\b|\bbulan\b|เดือน"
    r"|/\s*ay\b|\baylık|/\s*mc\b|/\s*hó\b|\bhavonta\b|לחודש|בחודש|חודשי|\b월\b|\b매월\b",
    re.I,
)
_YEAR = re.compile(
    r"/\s*yr\b|/\s*y\b|\byears?\b|\byearly\b|\bannual(?:ly)?\b|\bper annum\b|\bjahr|\bjährlich"
    r"|/\s*an\b|\bpar an\b|\bannée|\bannuel|\baño\b|\banual|\banno\b|\bjaar|\bår\b|年"
    r"|\bårlig|\bvuo(?:si|dessa)\b|\brok\b|\broku\b|\brocznie|\bévente|\bгод\b|\byıl"
    r"|\bnăm\b|\btahun\b|/\s*년|ปี|/\s*év\b|לשנה|שנתי|\b연\b|\b매년\b",
    re.I,
)
_SEAT = re.compile(
    r"\b(?:users?|seats?|members?|agents?|editors?|employees?|persons?|people|hosts?|collaborators?"
    r"|creators?|teammates?|licen[cs]es?|admins?|operators?|developers?|learners?|staff"
    r"|nutzer(?:in)?|benutzer|mitarbeiter(?:in|innen)?|lizenz|utilisateurs?|usuarios?|utenti|utente)\b"
    r"|ユーザー|人|名|用户|사용자",
    re.I,
)


@lru_cache(maxsize=8192)
def billing_of(text: str) -> str | None:
    """`annual`/`monthly` when the words say how the price is billed, else None."""
    if _BILLED_ANNUAL.search(text):
        return "annual"
    if _BILLED_MONTHLY.search(text):
        return "monthly"
    return None


@lru_cache(maxsize=4096)
def billing_of_token(token: str) -> str | None:
    """Billing from an attribute value or class token: `annual`, `js-price-yearly`, `monthly`."""
    t = token.lower()
    if re.search(r"(?:^|[-_ ])(?:annual(?:ly)?|yearly|year|yr|annum|p1y)(?:$|[-_ ])", t):
        return "annual"
    if re.search(r"(?:^|[-_ ])(?:monthly|month|mo|p1m)(?:$|[-_ ])", t):
        return "monthly"
    return None


@lru_cache(maxsize=8192)
def period_of(text: str) -> str | None:
    """`month`, `year`, `one_time` or None from the words that follow an amount."""
    text = _BILLED_ANNUAL.sub(" ", text)
    text = _BILLED_MONTHLY.sub(" ", text)
    if _ONE_TIME.search(text):
        return "one_time"
    m, y = _MONTH.search(text), _YEAR.search(text)
    if m and y:
        return "month" if m.start() < y.start() else "year"
    if m:
        return "month"
    if y:
        return "year"
    return None


@lru_cache(maxsize=8192)
def is_per_seat(text: str) -> bool:
    return bool(_SEAT.search(text))


@lru_cache(maxsize=64)
def page_locale(lang: str | None) -> tuple[str | None, str | None]:
    """(territory, language) of a page's `lang` attribute, with CLDR's likely territory."""
    if not lang:
        return None, None
    try:
        loc = Locale.parse(lang.replace("-", "_").strip(), sep="_")
    except (UnknownLocaleError, ValueError, TypeError):
        return None, None
    territory = loc.territory
    if not territory:
        try:
            territory = Locale.parse(f"und_{loc.language}").territory or None
        except (UnknownLocaleError, ValueError):
            territory = None
        if not territory:
            from babel.core import get_global

            likely = get_global("likely_subtags").get(loc.language) or ""
            territory = likely.split("_")[-1] if "_" in likely else None
    return territory, loc.language


@lru_cache(maxsize=256)
def currency_code(symbol: str, lang: str | None = None) -> str | None:
    """An ISO 4217 code for a symbol or code seen on the page; the page's locale settles `$`/`¥`."""
    s = symbol.strip()
    if s.upper() in _ISO:
        return s.upper()
    options = _SYMBOLS.get(s)
    if not options:
        return None
    if len(options) == 1:
        return options[0]
    territory, language = page_locale(lang)
    if territory:
        try:
            local = get_territory_currencies(territory)
        except Exception:  # an unknown territory is just no hint
            local = []
        for code in options:
            if code in local:
                return code
    if s in ("¥", "￥") and language == "zh":
        return "CNY"
    if s == "kr" and language in ("nb", "no", "nn"):
        return "NOK"
    if s == "kr" and language == "da":
        return "DKK"
    return options[0]


@lru_cache(maxsize=64)
def _decimal_comma(lang: str | None) -> bool:
    """True when the page's language writes 12,99 for twelve point ninety-nine."""
    _, language = page_locale(lang)
    if not language:
        return False
    try:
        from babel.numbers import get_decimal_symbol

        return get_decimal_symbol(language) == ","
    except Exception:
        return False


def amount_of(value: SupportsFloat) -> float:
    """An amount as every price is kept: to a millionth, not to the cent, since usage
    prices are quoted in fractions of one ("$0.002 per request"); rounding drops float
    noise."""
    return round(float(value), 6)


@lru_cache(maxsize=8192)
def parse_amount(num: str, lang: str | None = None) -> float | None:
    """The amount in major units, by price-parser (thousands and decimal marks as the page writes them)."""
    num = num.replace("\u00a0", " ").replace("\u202f", " ").strip()
    sep = None
    # "1.299" alone is ambiguous: a comma-decimal page means one thousand two hundred.
    # A number that opens with a lone 0 is never grouped in thousands: "0.002", "0,002".
    if re.fullmatch(r"0[.,]\d+", num):
        sep = num[1]
    elif re.fullmatch(r"\d{1,3}(?:[. ]\d{3})+", num) or re.fullmatch(r"\d+,\d{1,2}", num):
        sep = ","
    elif re.fullmatch(r"\d{1,3}(?:,\d{3})+", num):
        sep = "."
    elif _decimal_comma(lang) and re.fullmatch(r"\d+[.,]\d{3}", num):
        sep = ","
    price = Price.fromstring(num, decimal_separator=sep)
    if price.amount is None:
        return None
    return amount_of(price.amount)


def find_prices(text: str, lang: str | None = None) -> list[tuple[int, int, float, str]]:
    """Every (start, end, amount, ISO currency) in a text, left to right."""
    # Plan cards repeat the same short lines ("per user/month", "$0"): read each once.
    if len(text) <= 200:
        return list(_find_prices_cached(text, lang))
    return _find_prices(text, lang)


@lru_cache(maxsize=8192)
def _find_prices_cached(text: str, lang: str | None) -> tuple[tuple[int, int, float, str], ...]:
    return tuple(_find_prices(text, lang))


def _find_prices(text: str, lang: str | None = None) -> list[tuple[int, int, float, str]]:
    out = []
    for m in iter_prices(text):
        num = m.group("num1") or m.group("num2")
        sym = m.group("pre") or m.group("post")
        code = currency_code(sym, lang)
        amount = parse_amount(num, lang)
        if code is None or amount is None:
            continue
        out.append((m.start(), m.end(), amount, code))
    return out
