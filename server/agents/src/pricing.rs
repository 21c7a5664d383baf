//! What a call costs: USD per million tokens for each known model, the seed's defaults overridden
//! by `model_pricing` in `config.yaml` and `pact.yaml` (project wins).

use crate::backend::Usage;
use crate::request::{LlmRequest, estimate_tokens};
use indexmap::IndexMap;
use pact_core::config::Config;
use serde::Serialize;

/// Cache writes cost 1.25× the input price and cache reads 0.1× (Anthropic's published ratios;
/// OpenAI and Gemini discount reads at least as much, so this never under-counts by much).
pub const CACHE_WRITE_FACTOR: f64 = 1.25;
pub const CACHE_READ_FACTOR: f64 = 0.1;

/// Output tokens assumed for a call's estimate: a typical structured answer. The worst case
/// (`max_tokens`) would refuse most calls long before the budget is really spent.
pub const ESTIMATED_OUTPUT_TOKENS: u32 = 4096;

/// USD per million tokens.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Price {
    pub input: f64,
    pub output: f64,
}

impl Price {
    pub const FREE: Price = Price {
        input: 0.0,
        output: 0.0,
    };

    pub fn cost(&self, usage: &Usage) -> f64 {
        let per = |tokens: u64, price: f64| tokens as f64 * price / 1_000_000.0;
        per(usage.input_tokens, self.input)
            + per(usage.output_tokens, self.output)
            + per(
                usage.cache_creation_input_tokens,
                self.input * CACHE_WRITE_FACTOR,
            )
            + per(
                usage.cache_read_input_tokens,
                self.input * CACHE_READ_FACTOR,
            )
    }

    /// Cost of the request's prompt plus a typical answer, for the budget check before a call.
    pub fn estimate(&self, req: &LlmRequest) -> f64 {
        let mut text = String::with_capacity(req.prompt_text_len());
        text.push_str(&req.system);
        for m in &req.messages {
            text.push_str(&m.content);
        }
        let input = estimate_tokens(&text) + estimate_tokens(&req.schema.to_string());
        let output = u64::from(req.max_tokens.min(ESTIMATED_OUTPUT_TOKENS));
        self.cost(&Usage::new(input, output))
    }
}

/// Where a price came from, so `pact ping` can say when a price is a guess.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PriceSource {
    /// `model_pricing` in a config file.
    Config,
    /// The built-in table, under this key (the model itself or the entry it matched).
    Table(String),
    /// Not known: the fallback rate applies.
    Unknown,
}

/// The seed's defaults (v0.3.0 for Anthropic; the later versions' list for the other providers).
const DEFAULTS: &[(&str, f64, f64)] = &[
    ("claude-opus-4-6", 15.0, 75.0),
    ("claude-sonnet-4-5-20250929", 3.0, 15.0),
    ("claude-haiku-4-5-20251001", 0.80, 4.00),
    ("claude-opus-4-5", 5.0, 25.0),
    ("claude-opus-4-1", 15.0, 75.0),
    ("claude-opus-4", 15.0, 75.0),
    ("claude-sonnet-4-6", 3.0, 15.0),
    ("claude-sonnet-4", 3.0, 15.0),
    ("claude-haiku-3-5", 0.80, 4.00),
    ("claude-haiku-3", 0.25, 1.25),
    ("gpt-4o", 2.50, 10.0),
    ("gpt-4o-mini", 0.15, 0.60),
    ("gpt-4-turbo", 10.0, 30.0),
    ("o3", 10.0, 40.0),
    ("o3-mini", 1.10, 4.40),
    ("gemini-2.5-pro", 1.25, 10.0),
    ("gemini-2.5-flash", 0.15, 0.60),
    ("gemini-2.5-flash-lite", 0.075, 0.30),
    ("gemini-3-pro-preview", 1.25, 10.0),
    ("gemini-3-flash-preview", 0.15, 0.60),
];

/// The original's fallback for an unknown model: Haiku's rate, with a warning.
pub const FALLBACK: Price = Price {
    input: 0.80,
    output: 4.00,
};

#[derive(Debug, Clone, PartialEq)]
pub struct PricingTable {
    table: IndexMap<String, Price>,
    overrides: IndexMap<String, Price>,
}

impl Default for PricingTable {
    fn default() -> Self {
        Self {
            table: DEFAULTS
                .iter()
                .map(|(m, i, o)| {
                    (
                        m.to_string(),
                        Price {
                            input: *i,
                            output: *o,
                        },
                    )
                })
                .collect(),
            overrides: IndexMap::new(),
        }
    }
}

impl PricingTable {
    /// Defaults plus `model_pricing` from the global and then the project config.
    pub fn from_config(config: &Config) -> Self {
        let mut t = Self::default();
        for pricing in [&config.global.model_pricing, &config.project.model_pricing] {
            for (model, pair) in pricing {
                if let [input, output, ..] = pair.as_slice()
                    && input.is_finite()
                    && output.is_finite()
                    && *input >= 0.0
                    && *output >= 0.0
                {
                    t.overrides.insert(
                        model.clone(),
                        Price {
                            input: *input,
                            output: *output,
                        },
                    );
                } else {
                    tracing::warn!(model = %model, "model_pricing entry ignored: expected [input, output] USD per million tokens");
                }
            }
        }
        t
    }

    pub fn set(&mut self, model: &str, price: Price) {
        self.overrides.insert(model.to_string(), price);
    }

    /// The price of `model`: an override, an exact entry, the longest entry that prefixes it
    /// (`gpt-4o-2024-08-06` → `gpt-4o`), or the dated entry it abbreviates (`claude-haiku-4-5` →
    /// `claude-haiku-4-5-20251001`). `None` when nothing matches.
    pub fn lookup(&self, model: &str) -> Option<(Price, PriceSource)> {
        if let Some(p) = self.overrides.get(model) {
            return Some((*p, PriceSource::Config));
        }
        if let Some(p) = self.table.get(model) {
            return Some((*p, PriceSource::Table(model.to_string())));
        }
        let prefix = self
            .table
            .iter()
            .filter(|(k, _)| {
                model
                    .strip_prefix(k.as_str())
                    .is_some_and(|rest| rest.starts_with('-'))
            })
            .max_by_key(|(k, _)| k.len());
        if let Some((k, p)) = prefix {
            return Some((*p, PriceSource::Table(k.clone())));
        }
        self.table
            .iter()
            .find(|(k, _)| {
                k.strip_prefix(model)
                    .and_then(|rest| rest.strip_prefix('-'))
                    .is_some_and(|date| {
                        !date.is_empty() && date.bytes().all(|b| b.is_ascii_digit())
                    })
            })
            .map(|(k, p)| (*p, PriceSource::Table(k.clone())))
    }

    /// Like [`lookup`](Self::lookup), with the fallback rate for unknown models.
    pub fn price(&self, model: &str) -> (Price, PriceSource) {
        self.lookup(model).unwrap_or_else(|| {
            tracing::warn!(model = %model, "no price known for this model; using ${}/${} per million tokens (set model_pricing)", FALLBACK.input, FALLBACK.output);
            (FALLBACK, PriceSource::Unknown)
        })
    }

    /// Every entry (defaults, then overrides), for `pact ping` and `pact pricing`.
    pub fn entries(&self) -> Vec<(String, Price, PriceSource)> {
        let mut out: Vec<_> = self
            .table
            .iter()
            .filter(|(k, _)| !self.overrides.contains_key(*k))
            .map(|(k, p)| (k.clone(), *p, PriceSource::Table(k.clone())))
            .collect();
        out.extend(
            self.overrides
                .iter()
                .map(|(k, p)| (k.clone(), *p, PriceSource::Config)),
        );
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pact_core::config::{GlobalConfig, ProjectConfig};

    #[test]
    fn seed_defaults_and_matching() {
        let t = PricingTable::default();
        assert_eq!(
            t.price("claude-opus-4-6").0,
            Price {
                input: 15.0,
                output: 75.0
            }
        );
        assert_eq!(
            t.price("claude-sonnet-4-5-20250929").0,
            Price {
                input: 3.0,
                output: 15.0
            }
        );
        assert_eq!(
            t.price("claude-haiku-4-5-20251001").0,
            Price {
                input: 0.8,
                output: 4.0
            }
        );
        assert_eq!(
            t.price("gpt-4o-mini-2024-07-18").0,
            Price {
                input: 0.15,
                output: 0.6
            }
        );
        assert_eq!(
            t.price("gpt-4o-2024-08-06").0,
            Price {
                input: 2.5,
                output: 10.0
            }
        );
        let (p, src) = t.price("claude-haiku-4-5");
        assert_eq!(
            (p, src),
            (
                Price {
                    input: 0.8,
                    output: 4.0
                },
                PriceSource::Table("claude-haiku-4-5-20251001".into())
            )
        );
        assert_eq!(t.price("llama3.1:8b"), (FALLBACK, PriceSource::Unknown));
        assert!(t.lookup("gpt-4").is_none(), "gpt-4 is not gpt-4o");
    }

    #[test]
    fn config_overrides_project_over_global() {
        let mut g = GlobalConfig::default();
        g.model_pricing
            .insert("claude-opus-4-6".into(), vec![5.0, 25.0]);
        g.model_pricing.insert("local".into(), vec![0.0, 0.0]);
        let mut p = ProjectConfig::default();
        p.model_pricing
            .insert("claude-opus-4-6".into(), vec![1.0, 2.0]);
        p.model_pricing.insert("bad".into(), vec![1.0]);
        let t = PricingTable::from_config(&Config::from_parts(g, p));
        assert_eq!(
            t.price("claude-opus-4-6"),
            (
                Price {
                    input: 1.0,
                    output: 2.0
                },
                PriceSource::Config
            )
        );
        assert_eq!(t.price("local").0, Price::FREE);
        assert_eq!(t.price("bad").1, PriceSource::Unknown);
        assert!(
            t.entries()
                .iter()
                .any(|(m, _, s)| m == "claude-opus-4-6" && *s == PriceSource::Config)
        );
    }

    #[test]
    fn cost_includes_cache_tokens() {
        let p = Price {
            input: 3.0,
            output: 15.0,
        };
        let u = Usage {
            input_tokens: 1_000_000,
            output_tokens: 100_000,
            cache_creation_input_tokens: 1_000_000,
            cache_read_input_tokens: 1_000_000,
            estimated: false,
        };
        let c = p.cost(&u);
        assert!((c - (3.0 + 1.5 + 3.75 + 0.3)).abs() < 1e-9, "{c}");
    }
}
