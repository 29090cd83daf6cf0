//! RFC 8941 structured fields as `Signature-Input`, `Signature` and `Content-Digest` carry
//! them (`signatures::structured::parse_dictionary`). A dictionary that parses must serialise
//! to text that parses back to the same dictionary: RFC 9421 signs the serialised form.
#![no_main]
use libfuzzer_sys::fuzz_target;
use topi::activitypub::signatures::structured::{
    parse_dictionary, serialize_bare_item, serialize_inner_list, serialize_parameters, Member,
};
use topi_fuzz::{amplify, text};

fn serialize(dict: &[(String, Member)]) -> String {
    let members: Vec<String> = dict
        .iter()
        .map(|(key, member)| match member {
            Member::Item(topi::activitypub::signatures::structured::BareItem::Boolean(true), params) => {
                format!("{key}{}", serialize_parameters(params))
            }
            Member::Item(item, params) => format!("{key}={}{}", serialize_bare_item(item), serialize_parameters(params)),
            Member::InnerList(items, params) => format!("{key}={}", serialize_inner_list(items, params)),
        })
        .collect();
    members.join(", ")
}

fuzz_target!(|data: &[u8]| {
    topi_fuzz::guard_stack();
    let data = amplify(data);
    let input = text(&data);
    let Ok(dict) = parse_dictionary(&input) else { return };
    let serialized = serialize(&dict);
    let again = parse_dictionary(&serialized)
        .unwrap_or_else(|e| panic!("{input:?} parsed, but its serialisation {serialized:?} does not: {e}"));
    assert_eq!(again, dict, "{input:?} → {serialized:?} reads back differently");
    assert_eq!(serialize(&again), serialized, "serialisation is not stable");
});
