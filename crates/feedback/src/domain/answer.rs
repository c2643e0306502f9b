//! Checking what an employee answers and what a manager notes, before anything is stored. Every
//! problem is reported, each naming its field, so a form can show them all at once.

use butterboard_runtime::error::Violation;

/// Longest comment or answer, in characters (Unicode scalar values, not bytes: a Cyrillic or CJK
/// comment gets the same room as an English one).
pub const MAX_TEXT_CHARS: usize = 5_000;

/// A checked answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    pub rating: u32,
    pub comment: String,
    pub answers: Vec<String>,
}

/// A checked manager's note.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Note {
    pub rating: u32,
    pub comment: String,
}

fn rating(rating: u32, violations: &mut Vec<Violation>) {
    if rating == 0 {
        violations.push(Violation::new("rating", "is required: 1 to 5"));
    } else if rating > 5 {
        violations.push(Violation::new("rating", "must be 1 to 5"));
    }
}

fn text(field: &str, text: &str, violations: &mut Vec<Violation>) {
    let chars = text.chars().count();
    if chars > MAX_TEXT_CHARS {
        violations.push(Violation::new(field, format!("must be at most {MAX_TEXT_CHARS} characters (is {chars})")));
    }
}

/// Checks an answer to a request asking `questions`: a rating of 1 to 5, a comment of at most
/// [`MAX_TEXT_CHARS`], and one non-blank answer per question, each within the same limit.
pub fn check_answer(
    questions: &[String],
    given_rating: u32,
    comment: &str,
    answers: &[String],
) -> Result<Answer, Vec<Violation>> {
    let mut violations = Vec::new();
    rating(given_rating, &mut violations);
    text("comment", comment, &mut violations);
    if answers.len() > questions.len() {
        violations.push(Violation::new(
            "answers",
            format!("has {} answers for {} questions", answers.len(), questions.len()),
        ));
    }
    for (index, _) in questions.iter().enumerate() {
        let field = format!("answers[{index}]");
        match answers.get(index).map(|a| a.trim()) {
            None | Some("") => violations.push(Violation::new(field, "is required: the question needs an answer")),
            Some(answer) => text(&field, answer, &mut violations),
        }
    }
    if !violations.is_empty() {
        return Err(violations);
    }
    Ok(Answer {
        rating: given_rating,
        comment: comment.trim().to_string(),
        answers: answers.iter().map(|a| a.trim().to_string()).collect(),
    })
}

/// Checks a manager's note: a progress rating of 1 to 5 and a non-blank comment within
/// [`MAX_TEXT_CHARS`].
pub fn check_note(given_rating: u32, comment: &str) -> Result<Note, Vec<Violation>> {
    let mut violations = Vec::new();
    rating(given_rating, &mut violations);
    if comment.trim().is_empty() {
        violations.push(Violation::new("comment", "is required"));
    } else {
        text("comment", comment, &mut violations);
    }
    if !violations.is_empty() {
        return Err(violations);
    }
    Ok(Note { rating: given_rating, comment: comment.trim().to_string() })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(result: Result<Answer, Vec<Violation>>) -> Vec<String> {
        result.err().unwrap_or_default().into_iter().map(|v| v.field).collect()
    }

    #[test]
    fn a_full_answer_is_accepted_and_trimmed() {
        let questions = vec!["What helped?".to_string()];
        let answer = check_answer(&questions, 4, " fine ", &[" the buddy ".into()]).expect("valid");
        assert_eq!(answer, Answer { rating: 4, comment: "fine".into(), answers: vec!["the buddy".into()] });
    }

    #[test]
    fn every_problem_names_its_field() {
        let questions = vec!["One?".to_string(), "Two?".to_string()];
        let long = "я".repeat(MAX_TEXT_CHARS + 1);
        assert_eq!(fields(check_answer(&questions, 0, &long, &["ok".into()])), ["rating", "comment", "answers[1]"]);
        assert_eq!(
            fields(check_answer(&questions, 6, "", &[long.clone(), " ".into()])),
            ["rating", "answers[0]", "answers[1]"]
        );
        assert_eq!(fields(check_answer(&[], 3, "", &["extra".into()])), ["answers"]);
    }

    #[test]
    fn the_length_limit_counts_characters_not_bytes() {
        let exactly = "я".repeat(MAX_TEXT_CHARS);
        assert!(check_answer(&[], 5, &exactly, &[]).is_ok(), "5,000 two-byte characters fit");
    }

    #[test]
    fn a_note_needs_a_rating_and_a_comment() {
        let violations: Vec<String> =
            check_note(0, "  ").err().unwrap_or_default().into_iter().map(|v| v.field).collect();
        assert_eq!(violations, ["rating", "comment"]);
        assert!(check_note(3, "good start").is_ok());
    }
}
