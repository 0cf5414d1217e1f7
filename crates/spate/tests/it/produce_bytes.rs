//! `spate produce` treats lines as bytes: invalid UTF-8 in the middle of stdin neither stops it
//! nor loses the lines read before (it used to drop every line still awaiting delivery when
//! the line reader met invalid UTF-8). Read back with `spate consume`, byte for byte.
#![allow(clippy::unwrap_used)]

use crate::common;

use std::process::{Command, Output, Stdio};

use common::Broker;

fn spate(args: &[&str], stdin: &[u8]) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_spate"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    common::feed_stdin(&mut child, stdin);
    child.wait_with_output().unwrap()
}

fn consume(broker: &Broker, topic: &str, extra: &[&str]) -> Vec<u8> {
    let mut args = vec![
        "consume",
        topic,
        "--from-beginning",
        "--exit-at-end",
        "--bootstrap",
        &broker.addr,
    ];
    args.extend_from_slice(extra);
    let out = spate(&args, b"");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    out.stdout
}

#[test]
fn invalid_utf8_lines_are_produced_as_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let broker = Broker::start(&dir.path().join("data"), &dir.path().join("broker.log"));

    // Lines before, at and after the invalid bytes; CRLF and LF endings are stripped once; the
    // last line has no newline.
    let input: &[u8] = b"first\nsecond\r\ninvalid \xff\xfe here\nafter \xc3\x28\r\n\nlast";
    let out = spate(
        &[
            "produce",
            "bytes",
            "--partition",
            "0",
            "--bootstrap",
            &broker.addr,
        ],
        input,
    );
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let expected: &[u8] = b"first\nsecond\ninvalid \xff\xfe here\nafter \xc3\x28\n\nlast\n";
    assert_eq!(
        String::from_utf8_lossy(&consume(&broker, "bytes", &[])),
        String::from_utf8_lossy(expected)
    );
    assert_eq!(consume(&broker, "bytes", &[]), expected);

    // Keys are split off as bytes too.
    let input: &[u8] = b"k1=v1\nk\xff2=v\xfe2\nno separator\n";
    let out = spate(
        &[
            "produce",
            "keyed",
            "--partition",
            "0",
            "--key-separator",
            "=",
            "--bootstrap",
            &broker.addr,
        ],
        input,
    );
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(
        consume(&broker, "keyed", &["--print-key", "|"]),
        b"k1|v1\nk\xff2|v\xfe2\n|no separator\n"
    );
}

#[test]
fn a_line_the_producer_refuses_stops_after_delivering_the_lines_before_it() {
    let dir = tempfile::tempdir().unwrap();
    let broker = Broker::start(&dir.path().join("data"), &dir.path().join("broker.log"));
    // Over librdkafka's message.max.bytes (1,000,000): refused when handed to the producer.
    let mut input = b"one\ntwo\n".to_vec();
    input.extend(std::iter::repeat_n(b'w', 1_100_000));
    input.extend_from_slice(b"\nafter\n");
    let out = spate(
        &[
            "produce",
            "refused",
            "--partition",
            "0",
            "--bootstrap",
            &broker.addr,
        ],
        &input,
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{stderr}");
    assert!(stderr.contains("line 3"), "{stderr}");
    assert_eq!(consume(&broker, "refused", &[]), b"one\ntwo\n");
}
