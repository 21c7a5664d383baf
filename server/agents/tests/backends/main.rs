//! Backends against local stand-ins: a wiremock server on 127.0.0.1 speaking each provider's
//! wire format, and a fake `claude` script. No network, no key.

mod anthropic;
mod budget;
mod claude_code;
mod common;
mod gemini;
mod openai;
mod ping;
mod replay;
mod scenarios;
