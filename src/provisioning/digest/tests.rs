use base64::engine::general_purpose::STANDARD;

use super::parse::parse_auth_params;
use super::*;

const REALM: &str = "siprov";
const MAC: &str = "0015651234ab";
const PASSWORD: &str = "kq3Zr9yXb2Vw7Lp0aQeT1g";
const NOW: u64 = 1_700_000_000;

fn auth() -> PhoneAuth {
    PhoneAuth::new(REALM, NonceKey::from_bytes([7; 32])).unwrap()
}

/// What a phone sends for `method uri` after a challenge carrying `nonce`.
fn digest_header(algorithm: Algorithm, username: &str, password: &str, nonce: &str, method: &str, uri: &str) -> String {
    let v = Verifiers::from_password(username, REALM, password);
    let d = DigestCredentials {
        username: username.to_owned(),
        realm: REALM.to_owned(),
        nonce: nonce.to_owned(),
        uri: uri.to_owned(),
        algorithm,
        qop: "auth".to_owned(),
        nc: "00000001".to_owned(),
        cnonce: "0a4f113b".to_owned(),
        response: Vec::new(),
    };
    let ha2 = hex(&algorithm.hash(&[method.as_bytes(), b":", uri.as_bytes()]));
    let response = hex(&digest_response(algorithm, v.ha1(algorithm), &d, &ha2));
    format!(
        "Digest username=\"{username}\", realm=\"{REALM}\", nonce=\"{nonce}\", uri=\"{uri}\", \
         algorithm={}, response=\"{response}\", qop=auth, nc=00000001, cnonce=\"0a4f113b\"",
        algorithm.as_str()
    )
}

fn verify_header(auth: &PhoneAuth, header: &str, uri: &str, candidates: Candidates<'_>, now: u64) -> Verdict {
    let creds = parse_authorization(header.as_bytes());
    auth.verify(creds.as_ref(), "GET", uri, candidates, now)
}

// RFC 7616 §3.9.1: the same request answered with MD5 and with SHA-256.
const RFC_NONCE: &str = "7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v";
const RFC_CNONCE: &str = "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ";

fn rfc_header(algorithm: &str, response: &str) -> String {
    format!(
        "Digest username=\"Mufasa\",\t realm=\"http-auth@example.org\", uri=\"/dir/index.html\", \
         algorithm={algorithm}, nonce=\"{RFC_NONCE}\", nc=00000001, cnonce=\"{RFC_CNONCE}\", qop=auth, \
         response=\"{response}\", opaque=\"FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS\""
    )
}

#[test]
fn rfc7616_example_responses_are_reproduced_for_md5_and_sha256() {
    let verifiers = Verifiers::from_password("Mufasa", "http-auth@example.org", "Circle of Life");
    for (algorithm, name, response) in [
        (Algorithm::Md5, "MD5", "8ca523f5e9506fed4657c9700eebdbec"),
        (Algorithm::Sha256, "SHA-256", "753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1"),
    ] {
        let Some(Credentials::Digest(d)) = parse_authorization(rfc_header(name, response).as_bytes()) else {
            panic!("the RFC 7616 {name} example must parse");
        };
        assert_eq!(d.username, "Mufasa");
        assert_eq!(d.realm, "http-auth@example.org");
        assert_eq!(d.algorithm, algorithm);
        let ha2 = hex(&algorithm.hash(&[b"GET:/dir/index.html"]));
        let expected = digest_response(algorithm, verifiers.ha1(algorithm), &d, &ha2);
        assert_eq!(hex(&expected), response, "{name}");
        assert_eq!(d.response, expected);
    }
}

#[test]
fn rfc7617_example_basic_credentials_parse() {
    let Some(Credentials::Basic(b)) = parse_authorization(b"Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==") else {
        panic!("the RFC 7617 example must parse");
    };
    assert_eq!(b.username, "Aladdin");
    assert_eq!(b.password, "open sesame");
}

#[test]
fn rfc4231_hmac_vectors_hold_for_short_and_long_keys() {
    assert_eq!(
        hex(&hmac_sha256(&[0x0b; 20], &[b"Hi ", b"There"])),
        "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"
    );
    assert_eq!(
        hex(&hmac_sha256(&[0xaa; 131], &[b"Test Using Larger Than Block-Size Key - Hash Key First"])),
        "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"
    );
}

#[test]
fn f4_a_fresh_digest_response_authenticates_with_either_algorithm() {
    let auth = auth();
    let v = auth.verifiers(MAC, PASSWORD);
    let nonce = auth.nonce(NOW);
    for algorithm in Algorithm::OFFERED {
        let header = digest_header(algorithm, MAC, PASSWORD, &nonce, "GET", "/provisioning/0015651234ab.cfg");
        let verdict = verify_header(&auth, &header, "/provisioning/0015651234ab.cfg", Candidates::current(&v), NOW);
        assert_eq!(verdict, Verdict::Authenticated(Matched::Current), "{algorithm:?}");
    }
}

#[test]
fn f4_a_nonce_verifies_on_another_instance_with_the_same_key() {
    let issuer = PhoneAuth::new(REALM, NonceKey::derive(b"shared signing secret")).unwrap();
    let other = PhoneAuth::new(REALM, NonceKey::derive(b"shared signing secret")).unwrap();
    let stranger = PhoneAuth::new(REALM, NonceKey::derive(b"another secret")).unwrap();
    let v = issuer.verifiers(MAC, PASSWORD);
    let header = digest_header(Algorithm::Sha256, MAC, PASSWORD, &issuer.nonce(NOW), "GET", "/p/x");
    assert_eq!(
        verify_header(&other, &header, "/p/x", Candidates::current(&v), NOW + 10),
        Verdict::Authenticated(Matched::Current)
    );
    assert_eq!(verify_header(&stranger, &header, "/p/x", Candidates::current(&v), NOW + 10), Verdict::Denied);
}

#[test]
fn f4_a_nonce_goes_stale_after_five_minutes_but_only_with_the_right_password() {
    let auth = auth();
    let v = auth.verifiers(MAC, PASSWORD);
    let nonce = auth.nonce(NOW);
    let right = digest_header(Algorithm::Md5, MAC, PASSWORD, &nonce, "GET", "/p/x");
    let wrong = digest_header(Algorithm::Md5, MAC, "guess", &nonce, "GET", "/p/x");
    let at = |now| verify_header(&auth, &right, "/p/x", Candidates::current(&v), now);
    assert_eq!(at(NOW + NONCE_LIFETIME_SECS), Verdict::Authenticated(Matched::Current));
    assert_eq!(at(NOW + NONCE_LIFETIME_SECS + 1), Verdict::Stale);
    assert_eq!(verify_header(&auth, &wrong, "/p/x", Candidates::current(&v), NOW + 3600), Verdict::Denied);
}

#[test]
fn a_nonce_from_beyond_the_clock_skew_is_refused() {
    let auth = auth();
    let v = auth.verifiers(MAC, PASSWORD);
    let header = digest_header(Algorithm::Md5, MAC, PASSWORD, &auth.nonce(NOW), "GET", "/p/x");
    let at = |now| verify_header(&auth, &header, "/p/x", Candidates::current(&v), now);
    assert_eq!(at(NOW - NONCE_CLOCK_SKEW_SECS), Verdict::Authenticated(Matched::Current));
    assert_eq!(at(NOW - NONCE_CLOCK_SKEW_SECS - 1), Verdict::Denied);
}

#[test]
fn a_tampered_or_foreign_nonce_is_refused() {
    let auth = auth();
    let v = auth.verifiers(MAC, PASSWORD);
    let nonce = auth.nonce(NOW);
    // Move the issue time forward without re-signing: the tag no longer matches.
    let mut raw = URL_SAFE_NO_PAD.decode(&nonce).unwrap();
    raw[7] ^= 1;
    let tampered = URL_SAFE_NO_PAD.encode(&raw);
    let mut flipped_tag = raw.clone();
    flipped_tag[7] ^= 1;
    flipped_tag[23] ^= 0x80;
    for bad in [tampered, URL_SAFE_NO_PAD.encode(&flipped_tag), RFC_NONCE.to_owned(), String::new(), "A".repeat(32)] {
        let header = digest_header(Algorithm::Sha256, MAC, PASSWORD, &bad, "GET", "/p/x");
        assert_eq!(verify_header(&auth, &header, "/p/x", Candidates::current(&v), NOW), Verdict::Denied, "{bad}");
    }
}

#[test]
fn a_response_for_another_uri_or_method_or_realm_is_refused() {
    let auth = auth();
    let v = auth.verifiers(MAC, PASSWORD);
    let nonce = auth.nonce(NOW);
    let header = digest_header(Algorithm::Sha256, MAC, PASSWORD, &nonce, "GET", "/provisioning/0015651234ab.cfg");
    // The uri param names one file, the request fetched another.
    assert_eq!(
        verify_header(&auth, &header, "/provisioning/001565ffffff.cfg", Candidates::current(&v), NOW),
        Verdict::Denied
    );
    // Same target, other method: HA2 differs.
    let creds = parse_authorization(header.as_bytes());
    assert_eq!(
        auth.verify(creds.as_ref(), "PUT", "/provisioning/0015651234ab.cfg", Candidates::current(&v), NOW),
        Verdict::Denied
    );
    // A response computed for another realm.
    let other_realm = header.replace("realm=\"siprov\"", "realm=\"elsewhere\"");
    assert_eq!(
        verify_header(&auth, &other_realm, "/provisioning/0015651234ab.cfg", Candidates::current(&v), NOW),
        Verdict::Denied
    );
}

#[test]
fn a_wrong_password_an_unknown_user_and_no_credentials_are_denied() {
    let auth = auth();
    let v = auth.verifiers(MAC, PASSWORD);
    let nonce = auth.nonce(NOW);
    let wrong = digest_header(Algorithm::Sha256, MAC, "not it", &nonce, "GET", "/p/x");
    assert_eq!(verify_header(&auth, &wrong, "/p/x", Candidates::current(&v), NOW), Verdict::Denied);
    let right = digest_header(Algorithm::Sha256, MAC, PASSWORD, &nonce, "GET", "/p/x");
    assert_eq!(verify_header(&auth, &right, "/p/x", Candidates::NONE, NOW), Verdict::Denied);
    assert_eq!(auth.verify(None, "GET", "/p/x", Candidates::current(&v), NOW), Verdict::Denied);
}

#[test]
fn the_dummy_verifiers_never_authenticate_even_when_the_response_matches_them() {
    // Their inputs are in this source file; a response built from them must still fail.
    let auth = auth();
    let nonce = auth.nonce(NOW);
    let header = digest_header(Algorithm::Sha256, "000000000000", "no device has this password", &nonce, "GET", "/p/x");
    assert_eq!(verify_header(&auth, &header, "/p/x", Candidates::NONE, NOW), Verdict::Denied);
    let basic = format!("Basic {}", STANDARD.encode("000000000000:no device has this password"));
    assert_eq!(verify_header(&auth, &basic, "/p/x", Candidates::NONE, NOW), Verdict::Denied);
}

#[test]
fn f3_the_previous_password_is_reported_as_such() {
    let auth = auth();
    let current = auth.verifiers(MAC, PASSWORD);
    let previous = auth.verifiers(MAC, "the old one");
    let candidates = Candidates::current(&current).with_previous(Some(&previous));
    let nonce = auth.nonce(NOW);
    let old = digest_header(Algorithm::Md5, MAC, "the old one", &nonce, "GET", "/p/x");
    assert_eq!(verify_header(&auth, &old, "/p/x", candidates, NOW), Verdict::Authenticated(Matched::Previous));
    let new = digest_header(Algorithm::Md5, MAC, PASSWORD, &nonce, "GET", "/p/x");
    assert_eq!(verify_header(&auth, &new, "/p/x", candidates, NOW), Verdict::Authenticated(Matched::Current));
    let old_basic = format!("Basic {}", STANDARD.encode(format!("{MAC}:the old one")));
    assert_eq!(verify_header(&auth, &old_basic, "/p/x", candidates, NOW), Verdict::Authenticated(Matched::Previous));
    assert_eq!(verify_header(&auth, &old_basic, "/p/x", Candidates::current(&current), NOW), Verdict::Denied);
}

#[test]
fn basic_authenticates_the_right_password_only() {
    let auth = auth();
    let v = auth.verifiers(MAC, PASSWORD);
    let basic = |user: &str, pw: &str| format!("Basic {}", STANDARD.encode(format!("{user}:{pw}")));
    let check = |h: String| verify_header(&auth, &h, "/p/x", Candidates::current(&v), NOW);
    assert_eq!(check(basic(MAC, PASSWORD)), Verdict::Authenticated(Matched::Current));
    assert_eq!(check(basic(MAC, "wrong")), Verdict::Denied);
    assert_eq!(check(basic(MAC, &format!("{PASSWORD}x"))), Verdict::Denied);
    assert_eq!(check(basic("0015651234ac", PASSWORD)), Verdict::Denied);
    assert_eq!(check(basic(MAC, "")), Verdict::Denied);
}

#[test]
fn auth_scheme_and_param_names_are_case_insensitive_and_escapes_are_honoured() {
    let auth = auth();
    let v = auth.verifiers(MAC, PASSWORD);
    let nonce = auth.nonce(NOW);
    let header = digest_header(Algorithm::Sha256, MAC, PASSWORD, &nonce, "GET", "/p/x")
        .replacen("Digest", "dIgEsT", 1)
        .replace("username=", "UserName=")
        .replace("algorithm=SHA-256", "ALGORITHM=sha-256")
        .replace("uri=\"/p/x\"", "uri=\"/\\p/\\x\"");
    assert_eq!(
        verify_header(&auth, &header, "/p/x", Candidates::current(&v), NOW),
        Verdict::Authenticated(Matched::Current)
    );
    let basic = format!("bAsIc   {}", STANDARD.encode(format!("{MAC}:{PASSWORD}")));
    assert_eq!(
        verify_header(&auth, &basic, "/p/x", Candidates::current(&v), NOW),
        Verdict::Authenticated(Matched::Current)
    );
}

#[test]
fn quoted_strings_unescape_and_tokens_stand_unquoted() {
    let params = parse_auth_params(r#"a="x\"y\\z", B=tok, ,c = "" ,d="é""#).unwrap();
    assert_eq!(
        params,
        vec![
            ("a".to_owned(), "x\"y\\z".to_owned()),
            ("b".to_owned(), "tok".to_owned()),
            ("c".to_owned(), String::new()),
            ("d".to_owned(), "é".to_owned()),
        ]
    );
}

#[test]
fn malformed_headers_are_not_credentials() {
    let auth = auth();
    let good = digest_header(Algorithm::Sha256, MAC, PASSWORD, &auth.nonce(NOW), "GET", "/p/x");
    let without = |param: &str| {
        let start = good.find(&format!("{param}=")).unwrap();
        let end = good[start..].find(", ").map_or(good.len(), |e| start + e + 2);
        format!("{}{}", &good[..start], &good[end..])
    };
    let mut bad: Vec<String> =
        ["username", "realm", "nonce", "uri", "response", "qop", "nc", "cnonce"].iter().map(|p| without(p)).collect();
    bad.extend(
        [
            "",
            "Digest",
            "Digest ",
            "Bearer abc",
            "Digestusername=\"x\"",
            "Basic",
            "Basic !!!!",
            "Basic QWxhZGRpbg==",
            "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ",
            "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ== extra",
        ]
        .map(str::to_owned),
    );
    bad.extend([
        good.replace("qop=auth", "qop=auth-int"),
        good.replace("algorithm=SHA-256", "algorithm=SHA-256-sess"),
        good.replace("algorithm=SHA-256", "algorithm=SHA-512-256"),
        good.replace("nc=00000001", "nc=1"),
        good.replace("nc=00000001", "nc=0000000g"),
        good.replace("cnonce=\"0a4f113b\"", "cnonce=\"\""),
        good.replace("algorithm=SHA-256", "algorithm=MD5"),
        format!("{good}, username=\"{MAC}\""),
        format!("{good}, USERNAME=\"{MAC}\""),
        format!("{good}, userhash=true"),
        format!("{good}, username*=UTF-8''{MAC}"),
        format!("{good}, broken"),
        format!("{good}, x=\"unterminated"),
        format!("{good}, x=\"bad\\\u{1}escape\""),
        format!("{good}, x=\"ctl\u{7}\""),
        format!("{good}, x=a b"),
        format!("{good}, =\"noname\""),
        format!("{good}, x="),
        format!("{good}, {}", "p=1, ".repeat(MAX_DIGEST_PARAMS)),
        good.replace(", ", ",\r\n "),
        format!("{good}{}", " ".repeat(MAX_AUTHORIZATION_LEN)),
    ]);
    for header in &bad {
        assert_eq!(parse_authorization(header.as_bytes()), None, "{header:?}");
    }
    assert_eq!(parse_authorization(b"Digest username=\"\xff\""), None);
    assert_eq!(parse_authorization(&[0xff, 0xfe]), None);
}

#[test]
fn parsing_arbitrary_bytes_never_panics() {
    // A cheap deterministic fuzz: every prefix of a real header, and bytes flipped in it.
    let auth = auth();
    let good = digest_header(Algorithm::Md5, MAC, PASSWORD, &auth.nonce(NOW), "GET", "/p/x");
    for end in 0..=good.len() {
        let _ = parse_authorization(&good.as_bytes()[..end]);
    }
    for i in 0..good.len() {
        for flip in [b'"', b'\\', b',', b'=', b' ', 0, 0x80, 0xc3] {
            let mut bytes = good.clone().into_bytes();
            bytes[i] = flip;
            if let Some(creds) = parse_authorization(&bytes) {
                let _ = auth.verify(Some(&creds), "GET", "/p/x", Candidates::NONE, NOW);
            }
        }
    }
}

#[test]
fn challenges_offer_digest_sha256_then_md5_then_basic() {
    let auth = auth();
    let nonce = auth.nonce(NOW);
    assert_eq!(
        auth.challenges(NOW, false),
        vec![
            format!("Digest realm=\"siprov\", qop=\"auth\", algorithm=SHA-256, nonce=\"{nonce}\""),
            format!("Digest realm=\"siprov\", qop=\"auth\", algorithm=MD5, nonce=\"{nonce}\""),
            "Basic realm=\"siprov\", charset=\"UTF-8\"".to_owned(),
        ]
    );
    let stale = auth.challenges(NOW, true);
    assert!(stale[0].ends_with(", stale=true") && stale[1].ends_with(", stale=true"));
    assert!(!stale[2].contains("stale"));
}

#[test]
fn a_challenge_nonce_is_accepted_back_through_the_parser() {
    let auth = auth();
    let challenge = &auth.challenges(NOW, false)[0];
    let nonce = challenge.split("nonce=\"").nth(1).unwrap().trim_end_matches('"');
    let v = auth.verifiers(MAC, PASSWORD);
    let header = digest_header(Algorithm::Sha256, MAC, PASSWORD, nonce, "GET", "/p/x");
    assert_eq!(
        verify_header(&auth, &header, "/p/x", Candidates::current(&v), NOW + 1),
        Verdict::Authenticated(Matched::Current)
    );
}

#[test]
fn realms_that_would_break_a_quoted_string_are_refused() {
    for bad in ["", "a\"b", "a\\b", "tab\there", "é", &"r".repeat(129)] {
        assert_eq!(PhoneAuth::new(bad, NonceKey::from_bytes([0; 32])).err(), Some(InvalidRealm), "{bad:?}");
    }
    assert!(PhoneAuth::new("siprov provisioning", NonceKey::from_bytes([0; 32])).is_ok());
}

#[test]
fn stored_verifiers_round_trip_and_garbage_is_refused() {
    let v = Verifiers::from_password(MAC, REALM, PASSWORD);
    let stored = v.to_stored();
    assert!(stored.starts_with("v1$"));
    assert!(!stored.contains(PASSWORD));
    assert_eq!(Verifiers::from_stored(&stored), Some(v.clone()));
    for bad in [
        String::new(),
        "v1$".to_owned(),
        stored.replacen("v1$", "v2$", 1),
        format!("{stored}$00"),
        stored[..stored.len() - 2].to_owned(),
        stored.replacen('$', "$zz", 1),
    ] {
        assert_eq!(Verifiers::from_stored(&bad), None, "{bad}");
    }
    assert_eq!(format!("{v:?}"), "Verifiers(..)");
}

#[test]
fn verifiers_depend_on_username_realm_and_password() {
    let base = Verifiers::from_password(MAC, REALM, PASSWORD);
    assert_ne!(base, Verifiers::from_password("0015651234ac", REALM, PASSWORD));
    assert_ne!(base, Verifiers::from_password(MAC, "other", PASSWORD));
    assert_ne!(base, Verifiers::from_password(MAC, REALM, "other"));
    assert_eq!(base.ha1_md5.to_vec(), Algorithm::Md5.hash(&[format!("{MAC}:{REALM}:{PASSWORD}").as_bytes()]));
}

#[test]
fn secrets_stay_out_of_debug_output() {
    let creds = parse_authorization(format!("Basic {}", STANDARD.encode(format!("{MAC}:{PASSWORD}"))).as_bytes());
    let printed = format!("{creds:?}");
    assert!(printed.contains(MAC) && !printed.contains(PASSWORD), "{printed}");
    assert_eq!(format!("{:?}", NonceKey::from_bytes([1; 32])), "NonceKey(..)");
}

/// Not a benchmark and asserts nothing about time: prints what one verification costs
/// on this machine, for the record (`cargo test --release --lib -- --ignored --nocapture`).
#[test]
#[ignore = "prints timings only"]
fn print_the_cost_of_a_digest_verification() {
    let auth = auth();
    let v = auth.verifiers(MAC, PASSWORD);
    let header = digest_header(Algorithm::Sha256, MAC, PASSWORD, &auth.nonce(NOW), "GET", "/p/x");
    let wrong = digest_header(Algorithm::Sha256, MAC, "wrong", &auth.nonce(NOW), "GET", "/p/x");
    let n = 10_000;
    let time = |what: &str, f: &dyn Fn()| {
        let start = std::time::Instant::now();
        for _ in 0..n {
            f();
        }
        println!("{what}: {:?} each", start.elapsed() / n);
    };
    time("parse a Digest header", &|| {
        std::hint::black_box(parse_authorization(std::hint::black_box(header.as_bytes())));
    });
    let right = parse_authorization(header.as_bytes());
    let wrong = parse_authorization(wrong.as_bytes());
    let verify = |creds: Option<&Credentials>, candidates| {
        std::hint::black_box(auth.verify(std::hint::black_box(creds), "GET", "/p/x", candidates, NOW));
    };
    time("verify, right password", &|| verify(right.as_ref(), Candidates::current(&v)));
    time("verify, wrong password", &|| verify(wrong.as_ref(), Candidates::current(&v)));
    time("verify, unknown MAC", &|| verify(right.as_ref(), Candidates::NONE));
    time("verify, no credentials", &|| verify(None, Candidates::NONE));
}
