//! Dates and numbers written the way each language writes them, through
//! ICU4X's compiled CLDR data (`3 November 2025`, `7.140` in Indonesian;
//! `3 November 2025`, `7,140` in British English). Nothing here is
//! hand-written locale knowledge.

use icu::calendar::{Date, Gregorian};
use icu::datetime::FixedCalendarDateTimeFormatter;
use icu::datetime::fieldsets::YMD;
use icu::decimal::DecimalFormatter;
use icu::decimal::input::Decimal;
use icu::locale::Locale;

pub struct LocaleFormat {
    long_date: FixedCalendarDateTimeFormatter<Gregorian, YMD>,
    short_date: FixedCalendarDateTimeFormatter<Gregorian, YMD>,
    decimal: DecimalFormatter,
}

impl LocaleFormat {
    /// `locale` was checked when the config was read.
    pub fn new(locale: &str) -> Result<Self, String> {
        let locale: Locale = locale
            .parse()
            .map_err(|_| format!("`{locale}` is not a valid locale"))?;
        let long_date = FixedCalendarDateTimeFormatter::try_new((&locale).into(), YMD::long())
            .map_err(|e| format!("no date format for `{locale}`: {e}"))?;
        let short_date = FixedCalendarDateTimeFormatter::try_new((&locale).into(), YMD::medium())
            .map_err(|e| format!("no date format for `{locale}`: {e}"))?;
        let decimal = DecimalFormatter::try_new((&locale).into(), Default::default())
            .map_err(|e| format!("no number format for `{locale}`: {e}"))?;
        Ok(LocaleFormat {
            long_date,
            short_date,
            decimal,
        })
    }

    pub fn long_date(&self, date: jiff::civil::Date) -> String {
        match to_icu(date) {
            Some(date) => self.long_date.format(&date).to_string(),
            None => date.to_string(),
        }
    }

    pub fn medium_date(&self, date: jiff::civil::Date) -> String {
        match to_icu(date) {
            Some(date) => self.short_date.format(&date).to_string(),
            None => date.to_string(),
        }
    }

    pub fn integer(&self, value: i64) -> String {
        self.decimal.format(&Decimal::from(value)).to_string()
    }
}

fn to_icu(date: jiff::civil::Date) -> Option<Date<Gregorian>> {
    Date::try_new_gregorian(
        i32::from(date.year()),
        u8::try_from(date.month()).ok()?,
        u8::try_from(date.day()).ok()?,
    )
    .ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn indonesian_and_british_dates_and_numbers() {
        let date = jiff::civil::date(2025, 11, 3);
        let id = LocaleFormat::new("id").unwrap();
        assert_eq!(id.long_date(date), "3 November 2025");
        assert_eq!(id.integer(7140), "7.140");
        let en = LocaleFormat::new("en-GB").unwrap();
        assert_eq!(en.long_date(date), "3 November 2025");
        assert_eq!(en.integer(7140), "7,140");
    }
}
