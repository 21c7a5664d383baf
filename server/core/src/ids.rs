//! Component ids become directory names, so they are checked before they touch a path.

use thiserror::Error;

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum IdError {
    #[error("component id is empty")]
    Empty,
    #[error("component id {0:?} is not allowed (it would name the directory itself or its parent)")]
    Dots(String),
    #[error(
        "component id {id:?} contains {ch:?}; ids may only use letters, digits, '_', '.' and '-'"
    )]
    BadChar { id: String, ch: char },
    #[error("component id {0:?} is longer than 128 characters")]
    TooLong(String),
}

/// Checks that `id` is safe to use as a single path component: `[A-Za-z0-9_.-]+`, not `.`/`..`.
pub fn check_component_id(id: &str) -> Result<(), IdError> {
    if id.is_empty() {
        return Err(IdError::Empty);
    }
    if id == "." || id == ".." || id.contains("..") {
        return Err(IdError::Dots(id.to_string()));
    }
    if id.len() > 128 {
        return Err(IdError::TooLong(id.to_string()));
    }
    if let Some(ch) = id
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-')))
    {
        return Err(IdError::BadChar {
            id: id.to_string(),
            ch,
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_ordinary_ids() {
        for id in ["tokenizer", "word_count", "a.b-c", "X9"] {
            assert_eq!(check_component_id(id), Ok(()));
        }
    }

    #[test]
    fn rejects_path_tricks() {
        assert_eq!(check_component_id(""), Err(IdError::Empty));
        assert!(matches!(check_component_id(".."), Err(IdError::Dots(_))));
        assert!(matches!(
            check_component_id("a/../b"),
            Err(IdError::Dots(_))
        ));
        assert!(matches!(
            check_component_id("a/b"),
            Err(IdError::BadChar { ch: '/', .. })
        ));
        assert!(matches!(
            check_component_id("a\\b"),
            Err(IdError::BadChar { ch: '\\', .. })
        ));
        assert!(matches!(
            check_component_id("naïve"),
            Err(IdError::BadChar { ch: 'ï', .. })
        ));
        assert!(matches!(
            check_component_id("a b"),
            Err(IdError::BadChar { ch: ' ', .. })
        ));
    }

    proptest::proptest! {
        #[test]
        fn accepted_ids_are_single_safe_path_components(id in "\\PC{0,20}") {
            if check_component_id(&id).is_ok() {
                let p = std::path::Path::new(&id);
                proptest::prop_assert_eq!(p.components().count(), 1);
                proptest::prop_assert!(matches!(p.components().next(), Some(std::path::Component::Normal(_))));
            }
        }
    }
}
