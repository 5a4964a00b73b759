//! Prints the crate's description of its operations (members, constraints, exceptions) as JSON,
//! for the model-conformance test that compares it with botocore's `cognito-idp` service model
//! (`tests/python/test_model_conformance.py`).

fn main() -> Result<(), serde_json::Error> {
    let text = serde_json::to_string_pretty(&cognito_signup::wire::model::describe())?;
    println!("{text}");
    Ok(())
}
