"""What the three audiences say in their own words.

Text cleaning and masking, sentiment, themes (TF-IDF topics or optional
embeddings), where the audiences' themes diverge, tags to factors,
touchpoints and moments, competitors named, and search over open answers
and interview notes. Method steps 2 and 4.

Each module holds one method; the names below load their module on first
use, so importing the package costs nothing.
"""

from __future__ import annotations

from cxgap.analysis._lazy import lazy_exports

_EXPORTS = {
    "analysis_text": "text",
    "cut": "text",
    "looks_english": "text",
    "mask_pii": "text",
    "quote_text": "text",
    "build_lexicon": "tagging",
    "tag_frame": "tagging",
    "tag_summary": "tagging",
    "tag_text": "tagging",
    "sentiment_by": "sentiment",
    "summarise_sentiment": "sentiment",
    "vader_compound": "sentiment",
    "vader_scores": "sentiment",
    "find_themes": "themes",
    "js_divergence": "disparity",
    "log_odds_dirichlet": "disparity",
    "theme_divergence": "disparity",
    "competitor_views": "competitors",
    "judge": "competitors",
    "search_answers": "search",
    "small_team_mask": "search",
    "c_tf_idf": "embeddings",
    "cluster_embeddings": "embeddings",
    "embed_texts": "embeddings",
    "model_path": "embeddings",
    "analyze_voice": "assembly",
}

__all__ = sorted(_EXPORTS)
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
