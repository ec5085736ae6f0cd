use super::*;

const RULES: [(&str, &Rule); 15] = [
    ("sip_domain", &SIP_DOMAIN),
    ("sip_host", &SIP_HOST),
    ("sip_username", &SIP_USERNAME),
    ("name", &NAME),
    ("username", &USERNAME),
    ("password", &PASSWORD),
    ("pin", &PIN),
    ("email", &EMAIL),
    ("number", &NUMBER),
    ("mac", &MAC),
    ("vendor", &VENDOR),
    ("model", &MODEL),
    ("label", &LABEL),
    ("display_name", &DISPLAY_NAME),
    ("location", &LOCATION),
];

/// Strings on both sides of every rule's edges.
fn samples() -> Vec<String> {
    let mut v: Vec<String> = [
        "",
        " ",
        "a",
        "ab",
        "abc",
        "Abc",
        "al ice",
        "alice.smith-2_x",
        "  x  ",
        "\u{a0}",
        "\u{a0}x",
        "\u{2028}",
        "x\n",
        "x\ny",
        "x\ty",
        "x\u{0}",
        "x\u{7f}",
        "x\u{85}",
        "x\u{9f}",
        "x\u{a0}",
        "\u{200b}",
        "é",
        "日本語",
        "1234",
        "123",
        "12345678901",
        "12a4",
        "+14155550123",
        "+1415",
        "4930",
        "+123456789012345",
        "+1234567890123456",
        "00:04:F2:AB:CD:EF",
        "00-04-f2-ab-cd-ef",
        "0004.f2ab.cdef",
        "0004f2abcdef",
        "00:04-F2:AB:CD:EF",
        "0004f2abcdeg",
        "vm@example.org",
        "vm@example",
        "vm example@x.org",
        "@x.org",
        "a@b.c",
        "a@.b.c",
        "a@b..c",
        "a@b.c.",
        "a@@b.c",
        "a@b@c.d",
        "x@y.z\n",
        "abcdefghijkl",
        "abcdefghijk",
        "sbc.example.net",
        "-sbc.example.net",
        "sbc-.example.net",
        "sbc..example.net",
        "sbc.example.net.",
        "192.0.2.10",
        "2001:db8::1",
        "::",
        "::1",
        "fe80::1%eth0",
        "[2001:db8::1]",
        "::ffff:192.0.2.1",
        "1:2:3:4:5:6:7:8",
        "1:2:3:4:5:6:7:8:9",
        "12345::1",
        ":::",
        "a_b.c",
        "4930100",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    for n in [63, 64, 65, 99, 100, 101, 199, 200, 201, 253, 254, 255, 499, 500, 501, 1023, 1024, 1025] {
        v.push("a".repeat(n));
        v.push(format!("{}@x.org", "a".repeat(n.saturating_sub(6))));
    }
    v
}

#[test]
fn every_rules_pattern_and_lengths_give_the_answers_of_its_check() {
    for (name, rule) in RULES {
        let re = rule.pattern.map(|p| regex::Regex::new(p).expect("a valid pattern"));
        for s in samples() {
            let n = s.chars().count();
            let by_schema = n >= rule.min_chars && n <= rule.max_chars && re.as_ref().is_none_or(|re| re.is_match(&s));
            assert_eq!(rule.is_valid(&s), by_schema, "{name}: {s:?}");
        }
    }
}

#[test]
fn usernames_follow_the_documented_alphabet_and_length() {
    assert!(is_username("alice.smith-2_x"));
    assert!(!is_username("al"));
    assert!(!is_username("Alice"));
    assert!(!is_username(&"a".repeat(65)));
    assert!(!is_username("al ice"));
}

#[test]
fn emails_and_pins_are_checked_plainly() {
    assert!(EMAIL.is_valid("vm@example.org"));
    assert!(!EMAIL.is_valid("vm@example"));
    assert!(!EMAIL.is_valid("vm example@x.org"));
    assert!(PIN.is_valid("1234") && PIN.is_valid("1234567890"));
    assert!(!PIN.is_valid("123") && !PIN.is_valid("12345678901") && !PIN.is_valid("12a4"));
}

#[test]
fn names_and_texts_refuse_control_characters_but_texts_keep_line_breaks() {
    let mut e = Errors::default();
    e.check("name", &NAME, "a\u{0}b");
    e.check("location", &LOCATION, "room\u{0}");
    assert_eq!(e.into_vec().len(), 2);
    let mut e = Errors::default();
    e.check("location", &LOCATION, "Bldg 4\nroom 210\t(east)");
    assert!(e.is_empty());
    assert!(!NAME.is_valid("   "));
}
