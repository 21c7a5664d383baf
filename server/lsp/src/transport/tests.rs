//! The guard's tests: every hostile input the issue lists, property tests over arbitrary bytes
//! and read sizes, and the JSON-RPC error answers.

use super::*;
use proptest::prelude::*;

fn frame(body: &str) -> Vec<u8> {
    format!("Content-Length: {}\r\n\r\n{body}", body.len()).into_bytes()
}

fn request(id: i64) -> String {
    format!(r#"{{"jsonrpc":"2.0","id":{id},"method":"workspace/symbol","params":{{"query":"x"}}}}"#)
}

/// Everything the reader gives for this input, fed in reads of `split` bytes.
fn run(input: &[u8], split: usize) -> Vec<Step> {
    let mut d = Deframer::default();
    let mut chunks = input.chunks(split.max(1));
    let mut out = Vec::new();
    loop {
        match d.next() {
            Step::NeedMore => match chunks.next() {
                Some(c) => d.push(c),
                None => d.finish(),
            },
            Step::End => return out,
            step => out.push(step),
        }
    }
}

fn messages(steps: &[Step]) -> Vec<&str> {
    steps
        .iter()
        .filter_map(|s| match s {
            Step::Message(m) => Some(m.as_str()),
            _ => None,
        })
        .collect()
}

/// The answers, as JSON.
fn replies(steps: &[Step]) -> Vec<Value> {
    steps
        .iter()
        .filter_map(|s| match s {
            Step::Reply(f) => {
                let text = String::from_utf8_lossy(f);
                let (_, body) = text.split_once("\r\n\r\n")?;
                serde_json::from_str(body).ok()
            }
            _ => None,
        })
        .collect()
}

/// Every split of the input gives the same steps.
fn run_all_splits(input: &[u8]) -> Vec<Step> {
    let whole = run(input, input.len());
    for split in [1, 2, 3, 7, 16, 64] {
        assert_eq!(run(input, split), whole, "split {split}");
    }
    whole
}

/// The inputs of issue #15, each before a valid request.
fn hostile() -> Vec<(&'static str, Vec<u8>)> {
    let body = request(1);
    let n = body.len();
    vec![
        (
            "length abc",
            format!("Content-Length: abc\r\n\r\n{body}").into(),
        ),
        (
            "length -5",
            format!("Content-Length: -5\r\n\r\n{body}").into(),
        ),
        (
            "length 10^20",
            format!("Content-Length: 100000000000000000000\r\n\r\n{body}").into(),
        ),
        (
            "length 10 too long",
            format!("Content-Length: {}\r\n\r\n{body}", n + 10).into(),
        ),
        (
            "length 10 too short",
            format!("Content-Length: {}\r\n\r\n{body}", n - 10).into(),
        ),
        ("no header", body.clone().into()),
        ("NUL bytes", vec![0; 7]),
        ("header, no body", b"Content-Length: 5\r\n".to_vec()),
        (
            "over the limit, lying",
            format!("Content-Length: {}\r\n\r\n{body}", MAX_MESSAGE + 1).into(),
        ),
        (
            "under the limit, lying",
            format!("Content-Length: {}\r\n\r\n{body}", MAX_MESSAGE - 1).into(),
        ),
        ("not JSON", frame("{\"jsonrpc\":").clone()),
        (
            "invalid UTF-8 header",
            b"Content-Length: \xff\r\n\r\n".to_vec(),
        ),
        ("unterminated header", b"Content-Length: 12".to_vec()),
        ("a header line glued", b"X-Junk: 1".to_vec()),
    ]
}

#[test]
fn each_hostile_input_then_a_valid_frame_gives_the_valid_frame() {
    let good = request(2);
    for (name, bad) in hostile() {
        let mut input = frame(&request(0));
        input.extend_from_slice(&bad);
        input.extend_from_slice(&frame(&good));
        let steps = run_all_splits(&input);
        let got = messages(&steps);
        assert_eq!(got.first(), Some(&request(0).as_str()), "{name}");
        assert_eq!(got.last(), Some(&good.as_str()), "{name}: {steps:?}");
    }
}

/// Inputs the property test below once found (kept as cases of their own).
#[test]
fn junk_found_by_the_property_test() {
    let mut first = vec![0u8; 28];
    first.extend_from_slice(b"Content-Length: 67108871\r\n\r\nContent-Length: \0\0\0");
    first.extend_from_slice(b"Content-Length: 66\r\n\r\n");
    first.extend_from_slice(b"Content-Type: application/vscode-jsonrpc\r\n");
    first.extend_from_slice(b"Content-Length: abc\r\n\r\n");
    let cases: [&[u8]; 4] = [
        &first,
        // The next header inside a header block (a line cut short, a value cut short).
        b"Content-Length: 16\r\nContent-Len",
        b"Content-Length: 36\r\nX-Junk: ",
        b"Content-Length: 0\r\nX-Junk: ",
    ];
    let good = request(1000);
    for bad in cases {
        let mut input = bad.to_vec();
        input.extend_from_slice(&frame(&good));
        let steps = run_all_splits(&input);
        assert_eq!(messages(&steps).last(), Some(&good.as_str()), "{bad:?}");
    }
}

#[test]
fn a_lying_length_is_caught_without_waiting_for_its_bytes() {
    // The client sends a frame 10 bytes too long, then the next request, and waits.
    let body = request(1);
    let mut input = format!("Content-Length: {}\r\n\r\n{body}", body.len() + 10).into_bytes();
    input.extend_from_slice(&frame(&request(2)));
    let mut d = Deframer::default();
    d.push(&input);
    assert_eq!(d.next(), Step::Message(request(2)));
    assert_eq!(d.next(), Step::NeedMore);
}

#[test]
fn a_huge_length_is_skipped_without_buffering() {
    let mut d = Deframer::default();
    d.push(b"Content-Length: 100000000000000000000\r\n\r\n");
    assert_eq!(d.next(), Step::NeedMore);
    for _ in 0..64 {
        d.push(&[b'x'; 64 * 1024]);
        assert_eq!(d.next(), Step::NeedMore);
        assert!(
            d.buf.len() - d.pos < LENGTH.len(),
            "buffered {}",
            d.buf.len()
        );
    }
    d.push(&frame(&request(3)));
    assert_eq!(d.next(), Step::Message(request(3)));
}

#[test]
fn content_length_value_spellings() {
    let ok = |h: &str| parse_header(h.as_bytes());
    assert_eq!(
        ok("Content-Length: 2\r\n\r\n{}"),
        Header::Frame {
            header_len: 21,
            len: 2
        }
    );
    assert_eq!(
        ok("content-length:2\n\n{}"),
        Header::Frame {
            header_len: 18,
            len: 2
        }
    );
    assert!(matches!(
        ok("Content-Type: application/vscode-jsonrpc; charset=utf-8\r\nContent-Length: 2\r\n\r\n"),
        Header::Frame { len: 2, .. }
    ));
    for bad in [
        "Content-Length: abc\r\n\r\n",
        "Content-Length: -5\r\n\r\n",
        "Content-Length: 5 5\r\n\r\n",
        "Content-Length: +5\r\n\r\n",
        "Content-Length:\r\n\r\n",
        "Content-Length: 2\r\nContent-Length: 3\r\n\r\n",
        "Content-Type: x\r\n\r\n",
        "\0Content-Length: 2\r\n\r\n",
        "Content-Length: 2\r\r\n\r\n",
        "{\"jsonrpc\"",
    ] {
        assert!(matches!(ok(bad), Header::Bad(_)), "{bad:?}: {:?}", ok(bad));
    }
    assert_eq!(
        ok("Content-Length: 100000000000000000000\r\n\r\n"),
        Header::TooLarge("100000000000000000000".into())
    );
    for partial in [
        "Content-Len",
        "Content-Length: 5",
        "Content-Length: 5\r",
        "X: y\r\n",
    ] {
        assert_eq!(ok(partial), Header::Incomplete, "{partial:?}");
    }
}

#[test]
fn json_rpc_edge_cases_are_answered() {
    let cases: &[(&str, i64, Value)] = &[
        (
            r#"{"jsonrpc":"2.0","id":1.5,"method":"shutdown"}"#,
            -32600,
            Value::Null,
        ),
        (
            r#"{"jsonrpc":"2.0","id":{"a":1},"method":"shutdown"}"#,
            -32600,
            Value::Null,
        ),
        (
            r#"{"jsonrpc":"2.0","id":18446744073709551615,"method":"shutdown"}"#,
            -32600,
            Value::Null,
        ),
        (r#"{"id":7,"method":"shutdown"}"#, -32600, json!(7)),
        (
            r#"{"jsonrpc":"1.0","id":"a","method":"shutdown"}"#,
            -32600,
            json!("a"),
        ),
        (r#"{"jsonrpc":"2.0","id":8,"method":5}"#, -32600, json!(8)),
        (r#"{"jsonrpc":"2.0","id":9}"#, -32600, json!(9)),
        (r#"{"method":"initialized"}"#, -32600, Value::Null),
        (r#"[]"#, -32600, Value::Null),
        (
            r#"[{"jsonrpc":"2.0","id":1,"method":"x"}]"#,
            -32600,
            Value::Null,
        ),
        (r#"42"#, -32600, Value::Null),
        (
            r#"{"jsonrpc":"2.0","id":10,"method":"$/pact"}"#,
            -32601,
            json!(10),
        ),
        (
            r#"{"jsonrpc":"2.0","id":null,"method":"$/cancelRequest","params":{"id":1}}"#,
            -32601,
            Value::Null,
        ),
        (r#"{"jsonrpc":"2.0","id":1,"method""#, -32700, Value::Null),
        ("\u{1}", -32700, Value::Null),
    ];
    for (body, code, id) in cases {
        let mut input = frame(body);
        input.extend_from_slice(&frame(&request(2)));
        let steps = run_all_splits(&input);
        let answers = replies(&steps);
        assert_eq!(answers.len(), 1, "{body}: {steps:?}");
        assert_eq!(answers[0]["error"]["code"], json!(code), "{body}");
        assert_eq!(answers[0]["id"], *id, "{body}");
        assert_eq!(answers[0]["jsonrpc"], "2.0");
        assert_eq!(messages(&steps), [request(2)], "{body}");
    }
}

#[test]
fn valid_messages_pass_unchanged_and_are_not_answered() {
    for body in [
        r#"{"jsonrpc":"2.0","method":"$/cancelRequest","params":{"id":1}}"#,
        r#"{"jsonrpc":"2.0","method":"$/setTrace","params":{"value":"off"}}"#,
        r#"{"jsonrpc":"2.0","id":"s","method":"pact/unknown"}"#,
        r#"{"jsonrpc":"2.0","id":null,"method":"shutdown"}"#,
        r#"{"jsonrpc":"2.0","id":-3,"method":"shutdown"}"#,
        r#"{"jsonrpc":"2.0","id":4,"result":null}"#,
        r#"{"jsonrpc":"2.0","id":"x","error":{"code":-32601,"message":"no"}}"#,
        "{\"jsonrpc\":\"2.0\",\"method\":\"initialized\",\"params\":{\"t\":\"Content-Length: 5\\r\\n\\r\\n\"}}",
    ] {
        let steps = run_all_splits(&frame(body));
        assert_eq!(steps, [Step::Message(body.to_string())]);
    }
}

#[test]
fn malformed_responses_are_dropped_not_answered() {
    for body in [
        r#"{"jsonrpc":"2.0","id":1.5,"result":null}"#,
        r#"{"id":1,"result":null}"#,
        r#"{"jsonrpc":"2.0","id":1,"error":{"code":"x"}}"#,
        r#"{"jsonrpc":"2.0","result":null}"#,
    ] {
        let mut input = frame(body);
        input.extend_from_slice(&frame(&request(2)));
        let steps = run_all_splits(&input);
        assert_eq!(steps, [Step::Message(request(2))], "{body}");
    }
}

/// Counts warnings while `f` runs (on this thread).
fn warnings(f: impl FnOnce()) -> usize {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use tracing_subscriber::layer::{Context as LayerContext, Layer, SubscriberExt};
    struct Count(Arc<AtomicUsize>);
    impl<S: tracing::Subscriber> Layer<S> for Count {
        fn on_event(&self, e: &tracing::Event<'_>, _: LayerContext<'_, S>) {
            if *e.metadata().level() == tracing::Level::WARN {
                self.0.fetch_add(1, Ordering::SeqCst);
            }
        }
    }
    let n = Arc::new(AtomicUsize::new(0));
    let subscriber = tracing_subscriber::registry().with(Count(n.clone()));
    tracing::subscriber::with_default(subscriber, f);
    n.load(Ordering::SeqCst)
}

#[test]
fn each_dropped_frame_is_logged_once() {
    for (name, bad) in hostile() {
        let mut input = bad.clone();
        input.extend_from_slice(&frame(&request(2)));
        let n = warnings(|| {
            run(&input, 3);
        });
        assert_eq!(n, 1, "{name}");
    }
    // Two separate bad frames: two lines; a valid one: none.
    let mut input = b"\0\0".to_vec();
    input.extend_from_slice(&frame(&request(1)));
    input.extend_from_slice(b"junk");
    input.extend_from_slice(&frame(&request(2)));
    assert_eq!(warnings(|| drop(run(&input, 5))), 2);
    assert_eq!(warnings(|| drop(run(&frame(&request(1)), 5))), 0);
}

/// Reads at most `n` bytes at a time.
struct Trickle(Vec<u8>, usize);

impl AsyncRead for Trickle {
    fn poll_read(
        mut self: Pin<&mut Self>,
        _: &mut Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let n = self.1.min(self.0.len()).min(buf.remaining());
        let taken: Vec<u8> = self.0.drain(..n).collect();
        buf.put_slice(&taken);
        Poll::Ready(Ok(()))
    }
}

/// What `sanitize` passes on and answers for this input read `split` bytes at a time.
fn through_sanitize(input: Vec<u8>, split: usize) -> (Vec<u8>, Vec<Vec<u8>>) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    rt.block_on(async move {
        let (tx, mut rx) = mpsc::channel(4);
        let mut out = sanitize(Trickle(input, split.max(1)), tx);
        let answers = tokio::spawn(async move {
            let mut all = Vec::new();
            while let Some(f) = rx.recv().await {
                all.push(f);
            }
            all
        });
        let mut passed = Vec::new();
        out.read_to_end(&mut passed).await.unwrap();
        (passed, answers.await.unwrap())
    })
}

#[test]
fn sanitize_passes_good_frames_and_answers_bad_requests() {
    let good = r#"{"jsonrpc":"2.0","method":"initialized","params":{}}"#;
    let input = format!(
        "Content-Length: 5\r\n\r\n\u{ff}xyz!junk line\r\nContent-Length: 7\r\n\r\n[1,2,3]Content-Length: {}\r\n\r\n{good}",
        good.len()
    );
    let (passed, answers) = through_sanitize(input.into_bytes(), 5);
    assert_eq!(passed, frame(good));
    // `ÿxyz!` is not JSON; `[1,2,3]` is not a request object.
    assert_eq!(answers.len(), 2);
}

#[tokio::test]
async fn answers_go_out_between_frames_while_the_server_is_idle() {
    let (client, server) = tokio::io::duplex(1 << 16);
    let (tx, rx) = mpsc::channel(4);
    let mut out = GuardedOutput {
        inner: Box::pin(server),
        replies: rx,
        pending: Vec::new(),
        written: 0,
    };
    // The server wrote a frame and waits (flushing) while the guard queues an answer.
    out.write_all(&frame("{}")).await.unwrap();
    out.flush().await.unwrap();
    let answer = error_frame(Value::Null, -32600, "Invalid Request", "x");
    tx.send(answer.clone()).await.unwrap();
    out.flush().await.unwrap();
    drop(out);
    let mut got = Vec::new();
    let mut client = client;
    client.read_to_end(&mut got).await.unwrap();
    let mut want = frame("{}");
    want.extend_from_slice(&answer);
    assert_eq!(got, want);
}

/// Bytes a hostile or broken client might send: anything, and the pieces of frames.
fn junk() -> impl Strategy<Value = Vec<u8>> {
    let piece = prop_oneof![
        proptest::collection::vec(any::<u8>(), 0..40),
        Just(vec![0u8; 3]),
        Just(b"\r\n".to_vec()),
        Just(b"\r\n\r\n".to_vec()),
        Just(b"Content-Length: ".to_vec()),
        Just(b"content-length:".to_vec()),
        Just(b"Content-Len".to_vec()),
        Just(b"Content-Type: application/vscode-jsonrpc\r\n".to_vec()),
        Just(b"X-Junk: ".to_vec()),
        Just(b"Content-Length: abc\r\n\r\n".to_vec()),
        Just(b"Content-Length: -5\r\n\r\n".to_vec()),
        Just(b"Content-Length: 100000000000000000000\r\n\r\n".to_vec()),
        Just(format!("Content-Length: {}\r\n\r\n", MAX_MESSAGE + 7).into_bytes()),
        Just(b"Content-Length: 50000000\r\n\r\n".to_vec()),
        (0usize..200).prop_map(|n| format!("Content-Length: {n}\r\n\r\n").into_bytes()),
        (0usize..200).prop_map(|n| format!("Content-Length: {n}\r\n").into_bytes()),
        (0i64..99).prop_map(|i| request(i).into_bytes()),
        (0i64..99).prop_map(|i| frame(&request(i))),
        Just(b"{\"jsonrpc\":\"2.0\",".to_vec()),
        Just(vec![0xff, 0xfe]),
    ];
    proptest::collection::vec(piece, 0..8).prop_map(|v| v.concat())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// Whatever comes before it, a valid frame comes out of the reader intact, the same
    /// for every split of the input into reads, with nothing after it.
    #[test]
    fn junk_never_hides_the_next_valid_frame(
        before in junk(),
        id in 1000i64..2000,
        split in 1usize..40,
    ) {
        let (first, good) = (request(1), request(id));
        let mut input = frame(&first);
        input.extend_from_slice(&before);
        input.extend_from_slice(&frame(&good));
        let whole = run(&input, input.len());
        let got = messages(&whole);
        prop_assert_eq!(got.first().copied(), Some(first.as_str()));
        prop_assert_eq!(got.last().copied(), Some(good.as_str()));
        prop_assert!(matches!(whole.last(), Some(Step::Message(_))));
        prop_assert_eq!(run(&input, split), whole);
    }

    /// The same through `sanitize`: the valid request is the last frame it passes on, byte
    /// for byte.
    #[test]
    fn sanitize_passes_the_valid_request_after_any_junk(
        before in junk(),
        id in 1000i64..2000,
        split in 1usize..200,
    ) {
        let good = frame(&request(id));
        let mut input = before;
        input.extend_from_slice(&good);
        let (passed, _) = through_sanitize(input, split);
        prop_assert!(passed.ends_with(&good), "{:?}", String::from_utf8_lossy(&passed));
    }
}
