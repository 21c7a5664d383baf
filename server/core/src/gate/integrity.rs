//! Findings from the integrity records: vacuous tests (red-first), locked tests that drifted or
//! were tampered with, stale certifications, surviving mutants and weak suites.

use super::{Code, Finding, Scope, Severity};
use crate::digest::{hash_dir, hash_file, sha256_hex};
use crate::json::{self, find_word};
use crate::json_path;
use crate::store::ProjectDocs;
use crate::text::{LineCol, LineIndex, TextRange};

pub(super) fn run(docs: &ProjectDocs, scope: &Scope, out: &mut Vec<Finding>) {
    for (cid, rec) in docs.integrity.iter().filter(|(c, _)| scope.includes(c)) {
        let Some(lock) = &rec.lock else { continue };
        let lock_dir = docs.layout.lock_dir(cid);
        let files = docs.test_files.get(cid.as_str());
        for (name, expected) in &lock.files {
            if hash_file(&lock_dir.join(name)).as_deref() != Some(expected.as_str()) {
                out.push(
                    Finding::error(Code::TestTampered, format!("Locked test file '{name}' of '{cid}' no longer matches its recorded hash; regenerate the tests to lock them again"))
                        .at(&lock_dir.join(name), None)
                        .of(cid),
                );
            }
            if let Some(f) = files
                .into_iter()
                .flatten()
                .find(|f| f.path.file_name().and_then(|n| n.to_str()) == Some(name.as_str()))
                && sha256_hex(f.text.as_bytes()) != *expected
            {
                out.push(
                        Finding::warning(Code::TestLockMismatch, format!("'{name}' of '{cid}' differs from its locked copy: the locked tests are the ones that run (tests are law; regenerate tests to change them)"))
                            .at(&f.path, Some(TextRange::new(0, f.text.lines().next().map_or(0, str::len))))
                            .of(cid),
                    );
            }
        }
        // The held-out suite is law too, though no editor shows it.
        let hidden_dir = docs.layout.hidden_dir(cid);
        for (name, expected) in &lock.hidden {
            if hash_file(&hidden_dir.join(name)).as_deref() != Some(expected.as_str()) {
                out.push(
                    Finding::error(Code::TestTampered, format!("Held-out test file '{name}' of '{cid}' no longer matches its recorded hash; regenerate the tests to lock them again"))
                        .at(&hidden_dir.join(name), None)
                        .of(cid),
                );
            }
        }
        if let Some(red) = rec.red_first.as_ref()
            && red.test_hash != lock.test_hash()
            && !red.test_hash.is_empty()
        {
            // Evidence about other tests is no evidence: say so rather than drop it.
            out.push(
                Finding::error(Code::UncheckedTests, format!("The locked tests of '{cid}' were not checked against the interface stub: its red-first record is for other tests (a manual re-lock or a changed lock.json); regenerate the tests"))
                    .at(&docs.layout.lock_dir(cid).join("lock.json"), None)
                    .of(cid),
            );
        }
        if let Some(red) = rec
            .red_first
            .as_ref()
            .filter(|r| r.test_hash == lock.test_hash())
        {
            for id in &red.vacuous {
                if id == "<collection>" {
                    let mut f = Finding::error(Code::VacuousTest, format!("The tests of '{cid}' did not run against the interface stub (they do not import or collect), so nothing shows they can fail")).of(cid);
                    if let Some(s) = docs.suites.get(cid.as_str()) {
                        f = f.at(
                            &s.path,
                            json::locate(&s.text, &json_path!["generated_code"]),
                        );
                    }
                    out.push(f);
                    continue;
                }
                let test = id.rsplit("::").next().unwrap_or(id);
                let located = files.into_iter().flatten().find_map(|f| {
                    find_word(&f.text, &format!("def {test}"))
                        .map(|at| (f, TextRange::new(at + 4, at + 4 + test.len())))
                });
                let mut finding = Finding::error(
                    Code::VacuousTest,
                    format!("Test '{test}' of '{cid}' passes against the interface stub (whose functions only raise) or accepts any type-correct answer: it tests nothing"),
                )
                .of(cid);
                if let Some((f, r)) = located {
                    finding = finding.at(&f.path, Some(r));
                } else if let Some(s) = docs.suites.get(cid.as_str()) {
                    finding = finding.at(
                        &s.path,
                        json::locate(&s.text, &json_path!["generated_code"]),
                    );
                }
                out.push(finding);
            }
        }
        if let Some(m) = &rec.mutation {
            let src = docs.layout.implementation_src(cid);
            if m.src_hash != hash_dir(&src) || m.test_hash != lock.test_hash() {
                continue; // the record is about another implementation or other tests
            }
            for s in &m.survivors {
                let path = src.join(&s.file);
                let mut f = Finding::warning(
                    Code::SurvivingMutant,
                    format!(
                        "Mutant survives: `{}` → `{}` ({}){} — no contract test of '{cid}' notices this change",
                        s.original,
                        s.mutated,
                        s.operator,
                        if s.function.is_empty() { String::new() } else { format!(" in `{}`", s.function) }
                    ),
                )
                .at(&path, None)
                .of(cid);
                if let Ok(Some(text)) =
                    crate::store::fsio::read_text(&path, crate::json::MAX_DOCUMENT_BYTES as u64)
                {
                    let idx = LineIndex::new(&text);
                    let start = idx.offset(
                        &text,
                        s.line.saturating_sub(1) as usize,
                        s.column.saturating_sub(1) as usize,
                    );
                    let end = idx.offset(
                        &text,
                        s.line.saturating_sub(1) as usize,
                        s.end_column.saturating_sub(1) as usize,
                    );
                    f.range = Some(TextRange::new(start, end));
                    f.start = Some(idx.line_col(&text, start));
                    f.end = Some(idx.line_col(&text, end));
                } else {
                    f.start = Some(LineCol {
                        line: s.line,
                        column: s.column,
                    });
                }
                out.push(f);
            }
            let Some(c) = docs.contracts.get(cid.as_str()) else {
                continue;
            };
            let at = json::locate_key(&c.text, &json_path!["component_id"]);
            match m.measured() {
                Some(score) if score < m.threshold => out.push(
                    Finding::warning(
                        Code::WeakSuite,
                        format!(
                            "The tests of '{cid}' kill {:.0}% of mutants (threshold {:.0}%): {} of {} survive",
                            score * 100.0,
                            m.threshold * 100.0,
                            m.survivors.len(),
                            m.killed + m.survivors.len() as u64
                        ),
                    )
                    .at(&c.path, at)
                    .of(cid),
                ),
                Some(_) => {}
                // No score is unknown, not strong; with nothing to mutate there is nothing to say.
                None if m.total > 0 => out.push(
                    Finding::warning(
                        Code::UnmeasuredSuite,
                        format!(
                            "The mutation score of '{cid}' is unknown: {}",
                            m.no_score
                                .as_deref()
                                .unwrap_or("no mutant could be measured")
                        ),
                    )
                    .at(&c.path, at)
                    .of(cid),
                ),
                None => {}
            }
        }
    }
    let Some(cert) = &docs.certification else {
        return;
    };
    for (cid, c) in cert.components.iter().filter(|(c, _)| scope.includes(c)) {
        let contract = docs.contracts.get(cid.as_str());
        let lock = docs
            .integrity
            .get(cid.as_str())
            .and_then(|i| i.lock.as_ref());
        let changed = c.changes(
            contract.map(|d| &*d.text),
            lock,
            &hash_dir(&docs.layout.implementation_src(cid)),
        );
        if changed.is_empty() {
            continue;
        }
        let mut f = Finding::new(
            Severity::Warning,
            Code::StaleCertification,
            format!("The certification of '{cid}' is stale: its {} changed since; run `pact certify` again", changed.join(" and ")),
        )
        .of(cid);
        if let Some(d) = contract {
            f = f.at(
                &d.path,
                json::locate_key(&d.text, &json_path!["component_id"]),
            );
        }
        out.push(f);
    }
}
