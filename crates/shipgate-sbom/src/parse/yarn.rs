use super::Failure;
use crate::model::Parsed;
pub(crate) fn parse(_text: &str) -> Result<Parsed, Failure> {
    Err(Failure::msg("this format is not read yet"))
}
