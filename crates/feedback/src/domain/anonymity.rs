//! What a reader of a report may see. HR sees every figure; a manager sees a figure only where at
//! least `threshold` answers stand behind it, so no single new employee's rating can be read out
//! of a small group. Below it the report says so instead of giving a number.

/// Who reads a report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Audience {
    Hr,
    /// A manager over their own people.
    Manager {
        threshold: u32,
    },
}

impl Audience {
    /// Whether figures built from `answered` answers may be shown.
    pub fn reveals(self, answered: u64) -> bool {
        match self {
            Audience::Hr => true,
            Audience::Manager { threshold } => answered >= u64::from(threshold.max(1)),
        }
    }

    /// What the report says instead of a hidden figure.
    pub fn note(self) -> String {
        match self {
            Audience::Hr => String::new(),
            Audience::Manager { threshold } => format!("fewer than {} answers", threshold.max(1)),
        }
    }

    pub fn threshold(self) -> u32 {
        match self {
            Audience::Hr => 0,
            Audience::Manager { threshold } => threshold.max(1),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_manager_sees_figures_only_from_the_threshold_on_and_hr_always() {
        let manager = Audience::Manager { threshold: 3 };
        assert!(!manager.reveals(0) && !manager.reveals(2) && manager.reveals(3));
        assert!(Audience::Hr.reveals(0) && Audience::Hr.reveals(1));
        assert_eq!(manager.note(), "fewer than 3 answers");
    }
}
