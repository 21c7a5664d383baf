//! Certification: a record, per component, of the hashes its passing verdict rests on, and the
//! check that tells which certificates have gone stale.

use crate::engine::{EngineError, Result};
use crate::lock;
use pact_core::digest::{hash_dir, sha256_hex};
use pact_core::model::{
    Certification, CertifiedComponent, MutationRecord, PassCount, TestLanguage,
};
use pact_core::store::Project;

/// `pact certify`: records, for every component whose locked tests (visible and held out) all
/// passed, the hashes of its contract, tests and implementation with the counts. Returns the
/// certification and the components that could not be certified, with why.
pub fn certify(project: &Project) -> Result<(Certification, Vec<(String, String)>)> {
    let tree = project
        .load_tree()?
        .ok_or_else(|| EngineError::Invalid("no decomposition tree".into()))?;
    let mut cert = Certification {
        version: 1,
        certified_at: pact_core::store::now_iso(),
        components: Default::default(),
    };
    // With the mutation gate on, a Python component is done only with a strong enough suite.
    let config = project.config()?;
    let gate = (config.mutation_gate()
        && crate::runtime::language(&config) == TestLanguage::Python)
        .then(|| config.mutation_threshold());
    let mut refused = Vec::new();
    for cid in tree.topological_order() {
        match certify_one(project, cid, gate) {
            Ok(c) => {
                cert.components.insert(cid.to_string(), c);
            }
            Err(why) => refused.push((cid.to_string(), why)),
        }
    }
    let text =
        serde_json::to_string_pretty(&cert).map_err(|err| EngineError::Invalid(err.to_string()))?;
    project.write_text(&project.layout.certification(), &text)?;
    project.audit(
        "certify",
        format!(
            "{} certified, {} refused",
            cert.components.len(),
            refused.len()
        ),
    )?;
    Ok((cert, refused))
}

fn certify_one(
    project: &Project,
    cid: &str,
    gate: Option<f64>,
) -> std::result::Result<CertifiedComponent, String> {
    let contract_text = project
        .read_text(&project.layout.contract(cid))
        .ok()
        .flatten()
        .ok_or("no contract")?;
    let (lock, _) = lock::verified_tests(project, cid).map_err(|e| e.to_string())?;
    lock::verified_hidden(project, cid).map_err(|e| e.to_string())?;
    let results = project
        .load_test_results(cid)
        .ok()
        .flatten()
        .ok_or("its tests never ran")?;
    if !results.all_passed() {
        return Err(format!(
            "its last test run passed {}/{}",
            results.passed, results.total
        ));
    }
    let meta = project
        .load_build_record(cid)
        .ok()
        .flatten()
        .ok_or("no build record (metadata.json)")?;
    let src_hash = hash_dir(&project.layout.implementation_src(cid));
    if meta.src_hash != src_hash || meta.test_hash != lock.test_hash() {
        return Err("the implementation or its tests changed since the last test run".into());
    }
    let hidden = meta.hidden.filter(|_| !lock.hidden.is_empty());
    if !lock.hidden.is_empty() && (hidden.is_none() || meta.hidden_hash != lock.hidden_hash()) {
        return Err("its held-out tests did not run against this implementation".into());
    }
    if let Some(h) = &hidden
        && (h.passed != h.total || h.total == 0)
    {
        return Err(format!(
            "its held-out tests passed {}/{}",
            h.passed, h.total
        ));
    }
    if let Some(threshold) = gate {
        match &meta.mutation {
            None => {
                return Err("its suite's mutation score was never measured for this implementation (mutation_gate is on; `pact run` or `pact build` measures it)".into());
            }
            Some(v) => {
                if let Some(why) = v.blocks(threshold) {
                    return Err(why);
                }
            }
        }
    }
    let mutation = meta.mutation.as_ref().and_then(|v| v.score).or_else(|| {
        project
            .read_text(&project.layout.integrity_dir(cid).join("mutation.json"))
            .ok()
            .flatten()
            .and_then(|t| serde_json::from_str::<MutationRecord>(&t).ok())
            .filter(|m| m.src_hash == src_hash && m.test_hash == lock.test_hash())
            .and_then(|m| m.measured())
    });
    Ok(CertifiedComponent {
        contract_hash: sha256_hex(contract_text.as_bytes()),
        test_hash: lock.test_hash(),
        hidden_test_hash: lock.hidden_hash(),
        src_hash,
        visible: PassCount {
            passed: results.passed,
            total: results.total,
        },
        hidden,
        mutation_score: mutation,
        sandboxed: Some(meta.isolation == "sandboxed"),
        boundary: Some(if meta.boundary { "proxy" } else { "in-process" }.into()),
    })
}

/// `pact certify --verify`: which certified components are stale, and why.
pub fn verify_certification(project: &Project) -> Result<Vec<(String, String)>> {
    let text = project
        .read_text(&project.layout.certification())?
        .ok_or_else(|| EngineError::Invalid("no certification yet; run `pact certify`".into()))?;
    let cert: Certification = serde_json::from_str(&text)
        .map_err(|err| EngineError::Invalid(format!("certification.json: {err}")))?;
    let mut stale = Vec::new();
    for (cid, c) in &cert.components {
        let contract = project.read_text(&project.layout.contract(cid))?;
        let lock = lock::verified_tests(project, cid).ok().map(|(l, _)| l);
        let mut why: Vec<String> = c
            .changes(
                contract.as_deref(),
                lock.as_ref(),
                &hash_dir(&project.layout.implementation_src(cid)),
            )
            .iter()
            .map(|w| format!("{w} changed"))
            .collect();
        if lock.is_none() {
            why.retain(|w| w != "tests changed");
            why.push("locked tests missing or tampered".into());
        }
        if !why.is_empty() {
            stale.push((cid.clone(), why.join(", ")));
        }
    }
    Ok(stale)
}
