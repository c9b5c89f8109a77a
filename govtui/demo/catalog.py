"""The hand-made demo models: their domain, source tables and features with lineage."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

FeatureKind = Literal["numeric", "categorical"]


@dataclass(frozen=True)
class FeatureTemplate:
    """A model input: histogram bounds (numeric) or categories, and where it comes from."""

    name: str
    kind: FeatureKind
    bins: tuple[str, ...]  # numeric: upper bounds without +Inf, as text; categorical: categories
    source_columns: tuple[str, ...]  # "table.column"
    transformation: str


@dataclass(frozen=True)
class ModelTemplate:
    """A hand-made demo model: name, scenario, team, traffic and inputs."""

    name: str
    scenario: str
    description: str
    team: str
    requests_per_second: float
    tables: dict[str, tuple[str, ...]]
    features: tuple[FeatureTemplate, ...]
    drifting: tuple[str, ...] = ()  # features that drift in a drift scenario


def _num(name: str, bounds: str, sources: str, transformation: str) -> FeatureTemplate:
    return FeatureTemplate(
        name, "numeric", tuple(bounds.split()), tuple(sources.split()), transformation
    )


def _cat(name: str, categories: str, sources: str, transformation: str) -> FeatureTemplate:
    return FeatureTemplate(
        name, "categorical", tuple(categories.split()), tuple(sources.split()), transformation
    )


_HOUR = "8 12 16 20"

TEMPLATES: tuple[ModelTemplate, ...] = (
    ModelTemplate(
        name="fraud-scorer",
        scenario="fast_burn",
        description="Scores card transactions for fraud before authorisation.",
        team="risk",
        requests_per_second=120,
        tables={
            "transactions": ("amount", "card_id", "merchant_id", "channel", "ip_country", "ts"),
            "cards": ("card_id", "issued_at", "country"),
            "merchants": ("merchant_id", "risk_score"),
        },
        features=(
            _num("amount", "10 25 50 100 250 500 1000 5000", "transactions.amount", "EUR, as is"),
            _num(
                "merchant_risk",
                "0.1 0.2 0.3 0.5 0.7 0.9",
                "merchants.risk_score transactions.merchant_id",
                "latest risk_score joined on merchant_id",
            ),
            _num(
                "txn_count_24h",
                "1 2 3 5 10 20 50",
                "transactions.card_id transactions.ts",
                "count per card_id over the trailing 24 h",
            ),
            _num(
                "card_age_days",
                "30 90 180 365 730 1825",
                "cards.issued_at transactions.ts",
                "days from issued_at to ts",
            ),
            _cat("channel", "web app pos phone", "transactions.channel", "as is"),
            _cat(
                "country_mismatch",
                "no yes",
                "transactions.ip_country cards.country",
                "ip_country != country",
            ),
        ),
    ),
    ModelTemplate(
        name="credit-limit",
        scenario="accuracy_drop",
        description="Proposes a credit limit for new card applications.",
        team="credit",
        requests_per_second=25,
        tables={
            "applications": ("application_id", "income", "requested_limit", "employment_type"),
            "bureau": ("application_id", "score", "open_lines", "utilisation"),
        },
        features=(
            _num("income", "20000 35000 50000 75000 100000 150000", "applications.income", "EUR/y"),
            _num("bureau_score", "500 580 650 700 750 800", "bureau.score", "as is"),
            _num("utilisation", "0.1 0.3 0.5 0.7 0.9", "bureau.utilisation", "clipped to [0, 1]"),
            _num("open_lines", "1 2 4 6 10", "bureau.open_lines", "as is"),
            _num(
                "requested_limit",
                "1000 2500 5000 10000 20000",
                "applications.requested_limit",
                "EUR, as is",
            ),
            _cat(
                "employment_type",
                "employed self_employed student retired",
                "applications.employment_type",
                "lower-cased",
            ),
        ),
    ),
    ModelTemplate(
        name="search-ranker",
        scenario="drift_one_feature",
        description="Re-ranks the top search results for a query.",
        team="search",
        requests_per_second=300,
        tables={
            "queries": ("query_id", "text", "locale", "device"),
            "documents": ("doc_id", "published_at", "quality"),
            "clicks": ("query_id", "doc_id", "position"),
        },
        features=(
            _num("query_length", "1 2 3 5 8 13", "queries.text", "whitespace token count"),
            _num("result_age_days", "1 7 30 90 365", "documents.published_at", "days since"),
            _num("doc_quality", "0.2 0.4 0.6 0.8", "documents.quality", "as is"),
            _num(
                "ctr_7d",
                "0.01 0.02 0.05 0.1 0.2",
                "clicks.doc_id clicks.position",
                "position-debiased click rate over 7 d",
            ),
            _cat("locale", "en de fr es ja", "queries.locale", "language part of the locale"),
            _cat("device", "desktop mobile tablet", "queries.device", "as is"),
        ),
        drifting=("query_length",),
    ),
    ModelTemplate(
        name="churn-predictor",
        scenario="healthy",
        description="Predicts which subscribers will cancel within 30 days.",
        team="growth",
        requests_per_second=15,
        tables={
            "accounts": ("account_id", "plan", "tenure_months", "region"),
            "usage": ("account_id", "sessions_30d", "minutes_30d"),
            "tickets": ("account_id", "opened_at"),
        },
        features=(
            _num("tenure_months", "3 6 12 24 36 60", "accounts.tenure_months", "as is"),
            _num("sessions_30d", "1 5 10 20 40 80", "usage.sessions_30d", "as is"),
            _num("minutes_30d", "10 60 180 600 1200 3000", "usage.minutes_30d", "as is"),
            _num("tickets_90d", "1 2 3 5 10", "tickets.opened_at", "count over 90 d"),
            _cat("plan", "free basic pro enterprise", "accounts.plan", "as is"),
            _cat("region", "emea amer apac", "accounts.region", "as is"),
        ),
    ),
    ModelTemplate(
        name="loan-approval",
        scenario="fairness_violation",
        description="Approves or declines personal loan applications.",
        team="lending",
        requests_per_second=20,
        tables={
            "applications": ("application_id", "loan_amount", "term_months", "purpose", "income"),
            "bureau": ("application_id", "score", "monthly_debt"),
        },
        features=(
            _num("loan_amount", "1000 5000 10000 25000 50000", "applications.loan_amount", "EUR"),
            _num("term_months", "12 24 36 48 60 84", "applications.term_months", "as is"),
            _num(
                "debt_to_income",
                "0.1 0.2 0.3 0.4 0.5",
                "bureau.monthly_debt applications.income",
                "12 * monthly_debt / income",
            ),
            _num("bureau_score", "500 580 650 700 750 800", "bureau.score", "as is"),
            _cat(
                "purpose",
                "car home education consolidation other",
                "applications.purpose",
                "mapped to five buckets",
            ),
        ),
    ),
    ModelTemplate(
        name="eta-estimator",
        scenario="latency_breach",
        description="Estimates delivery arrival times for the rider app.",
        team="logistics",
        requests_per_second=200,
        tables={
            "trips": ("trip_id", "distance_km", "pickup_zone", "vehicle_type", "requested_at"),
            "traffic": ("zone", "speed_index"),
        },
        features=(
            _num("distance_km", "1 2 5 10 20 50", "trips.distance_km", "as is"),
            _num("hour_of_day", _HOUR, "trips.requested_at", "local hour of requested_at"),
            _num(
                "speed_index",
                "0.2 0.4 0.6 0.8 1 1.2",
                "traffic.speed_index trips.pickup_zone",
                "joined on zone",
            ),
            _cat("pickup_zone", "center north south east west", "trips.pickup_zone", "as is"),
            _cat("vehicle_type", "car bike van", "trips.vehicle_type", "as is"),
        ),
    ),
    ModelTemplate(
        name="demand-forecast",
        scenario="drift_most_features",
        description="Forecasts next-week demand per store and SKU.",
        team="supply",
        requests_per_second=10,
        tables={
            "orders": ("sku", "store_id", "qty", "order_date", "promo_depth"),
            "weather": ("store_id", "date", "temp_c", "rain_mm"),
            "stores": ("store_id", "store_type"),
            "calendar": ("date", "holiday"),
        },
        features=(
            _num("lag_7d_qty", "1 5 10 20 50 100", "orders.qty orders.order_date", "sum over 7 d"),
            _num("promo_depth", "0.05 0.1 0.2 0.3 0.5", "orders.promo_depth", "as is"),
            _num("temp_c", "5 10 15 20 25 30", "weather.temp_c", "daily mean"),
            _num("rain_mm", "0.5 2 5 10 25", "weather.rain_mm", "daily total"),
            _cat("holiday", "none public school", "calendar.holiday", "as is"),
            _cat("store_type", "mall street outlet", "stores.store_type", "as is"),
        ),
        drifting=("lag_7d_qty", "promo_depth", "temp_c", "rain_mm", "holiday"),
    ),
    ModelTemplate(
        name="ad-ctr",
        scenario="slow_burn",
        description="Predicts click-through rate for ad auctions.",
        team="ads",
        requests_per_second=400,
        tables={
            "impressions": ("ad_id", "slot", "device", "ts"),
            "ads": ("ad_id", "category", "bid_cpm"),
        },
        features=(
            _num("bid_cpm", "0.5 1 2 5 10", "ads.bid_cpm", "EUR per mille"),
            _num("slot_position", "1 2 3 5 10", "impressions.slot", "as is"),
            _num("hour_of_day", _HOUR, "impressions.ts", "local hour of ts"),
            _cat("ad_category", "retail travel finance gaming other", "ads.category", "as is"),
            _cat("device", "desktop mobile tablet", "impressions.device", "as is"),
        ),
    ),
    ModelTemplate(
        name="support-router",
        scenario="group_below_min_samples",
        description="Routes support tickets to the right queue.",
        team="customer-care",
        requests_per_second=8,
        tables={
            "tickets": ("ticket_id", "subject", "body", "language", "product", "created_at"),
        },
        features=(
            _num("body_tokens", "20 50 100 200 500", "tickets.body", "whitespace token count"),
            _num("subject_tokens", "3 5 8 12 20", "tickets.subject", "whitespace token count"),
            _cat("language", "en de fr es", "tickets.language", "detected language"),
            _cat("product", "billing app hardware account", "tickets.product", "as is"),
        ),
    ),
    ModelTemplate(
        name="price-optimizer",
        scenario="stale_source",
        description="Suggests shelf prices from cost, stock and competition.",
        team="pricing",
        requests_per_second=30,
        tables={
            "listings": ("sku", "price", "cost", "stock", "category"),
            "competitors": ("sku", "competitor_price"),
        },
        features=(
            _num(
                "margin", "0.05 0.1 0.2 0.3 0.5", "listings.price listings.cost", "1 - cost/price"
            ),
            _num(
                "price_gap",
                "0.8 0.9 1 1.1 1.2",
                "listings.price competitors.competitor_price",
                "price / competitor_price",
            ),
            _num("stock_days", "1 3 7 14 30 60", "listings.stock", "stock / mean daily sales"),
            _cat("category", "grocery electronics apparel home", "listings.category", "as is"),
        ),
    ),
    ModelTemplate(
        name="product-recommender",
        scenario="healthy",
        description="Recommends products on the home page and basket.",
        team="personalization",
        requests_per_second=150,
        tables={
            "sessions": ("session_id", "user_id", "device", "items_viewed", "basket_value"),
            "users": ("user_id", "signup_at", "segment"),
        },
        features=(
            _num("items_viewed", "1 3 5 10 20 50", "sessions.items_viewed", "as is"),
            _num("account_age_days", "7 30 90 365 1095", "users.signup_at", "days since"),
            _num("basket_value", "10 25 50 100 250", "sessions.basket_value", "EUR"),
            _cat("segment", "new casual loyal vip", "users.segment", "as is"),
            _cat("device", "desktop mobile tablet", "sessions.device", "as is"),
        ),
    ),
    ModelTemplate(
        name="spam-filter",
        scenario="healthy",
        description="Flags spam in user-to-user messages.",
        team="trust-safety",
        requests_per_second=250,
        tables={
            "messages": ("message_id", "body", "sender_id", "links"),
            "senders": ("sender_id", "created_at", "reports"),
        },
        features=(
            _num("body_length", "20 50 100 200 500 1000", "messages.body", "characters"),
            _num("link_count", "1 2 3 5 10", "messages.links", "length of links"),
            _num("sender_age_days", "1 7 30 180 365", "senders.created_at", "days since"),
            _num("sender_reports", "1 2 5 10", "senders.reports", "as is"),
            _cat("language", "en de fr es other", "messages.body", "detected language"),
        ),
    ),
)
