//! `[consistency]`: the level a request asks for. Trident has one replication path, so the level
//! is carried through for error messages and SERIAL checks rather than changing behavior.

/// A consistency level, by its wire code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Consistency {
    Any = 0x0000,
    One = 0x0001,
    Two = 0x0002,
    Three = 0x0003,
    Quorum = 0x0004,
    All = 0x0005,
    LocalQuorum = 0x0006,
    EachQuorum = 0x0007,
    Serial = 0x0008,
    LocalSerial = 0x0009,
    LocalOne = 0x000A,
}

/// A code no level has.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("Unknown code {0} for a consistency level")]
pub struct UnknownConsistency(pub u16);

impl Consistency {
    pub fn from_code(code: u16) -> Result<Self, UnknownConsistency> {
        use Consistency::*;
        Ok(match code {
            0x0000 => Any,
            0x0001 => One,
            0x0002 => Two,
            0x0003 => Three,
            0x0004 => Quorum,
            0x0005 => All,
            0x0006 => LocalQuorum,
            0x0007 => EachQuorum,
            0x0008 => Serial,
            0x0009 => LocalSerial,
            0x000A => LocalOne,
            other => return Err(UnknownConsistency(other)),
        })
    }

    pub fn code(self) -> u16 {
        self as u16
    }

    /// The name Cassandra uses in messages (`LOCAL_QUORUM`).
    pub fn name(self) -> &'static str {
        use Consistency::*;
        match self {
            Any => "ANY",
            One => "ONE",
            Two => "TWO",
            Three => "THREE",
            Quorum => "QUORUM",
            All => "ALL",
            LocalQuorum => "LOCAL_QUORUM",
            EachQuorum => "EACH_QUORUM",
            Serial => "SERIAL",
            LocalSerial => "LOCAL_SERIAL",
            LocalOne => "LOCAL_ONE",
        }
    }

    pub fn is_serial(self) -> bool {
        matches!(self, Consistency::Serial | Consistency::LocalSerial)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip() {
        for code in 0..=10u16 {
            assert_eq!(Consistency::from_code(code).unwrap().code(), code);
        }
        assert_eq!(
            Consistency::from_code(11).unwrap_err().to_string(),
            "Unknown code 11 for a consistency level"
        );
        assert_eq!(Consistency::LocalQuorum.name(), "LOCAL_QUORUM");
        assert!(Consistency::LocalSerial.is_serial());
    }
}
