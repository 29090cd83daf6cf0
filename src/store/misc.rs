//! The old paths of what moved to `announcements`, `conversations`, `domain_blocks` and
//! `reports`, kept only until their callers outside the store use the new ones.
pub use super::announcements::{announcements, dismiss_announcement, AnnouncementRow};
pub use super::conversations::{conversations, participants, touch_conversation, ConversationRow};
pub use super::domain_blocks::{block_domain, domain_blocks, unblock_domain, DomainBlockRow};
pub use super::reports::{create_report, NewReport};
