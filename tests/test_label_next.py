"""What to label next: uncertainty first, and no run of near-copies of one story."""

from tagger.scoring.label_next import label_next, uncertainty

STORIES = [
    "Pakistan and Bangladesh agreed to resume direct flights between Karachi and Dhaka next month officials said",
    "A cargo ship carrying rice and sugar from Karachi docked at Chattogram port for the first time in decades",
    "India's foreign ministry said it was watching the defence talks in Rawalpindi closely and with concern",
    "Heavy rain flooded parts of Sylhet overnight and schools were closed as the river rose above danger mark",
]


def row(i, text, framing=(0.34, 0.33, 0.33), topic=0.5):
    return {
        "id": f"r{i}",
        "text": text,
        "topic_score_defence": topic,
        "topic_score_trade": 0.0,
        "framing_score_pro-alignment": framing[0],
        "framing_score_neutral": framing[1],
        "framing_score_india-focused": framing[2],
    }


def test_uncertainty_ranges_from_sure_to_coin_toss():
    assert uncertainty(row(0, "x", (1.0, 0.0, 0.0), topic=0.0)) == 0.0
    assert uncertainty(row(0, "x", (0.5, 0.5, 0.0), topic=0.5)) == 1.0
    assert 0 < uncertainty(row(0, "x", (0.7, 0.2, 0.1), topic=0.9)) < 0.5


def test_most_uncertain_first_when_stories_differ():
    rows = [row(i, t, (0.9 - 0.1 * i, 0.05 + 0.1 * i, 0.05), topic=0.1) for i, t in enumerate(STORIES)]
    assert [q.id for q in label_next(rows)] == ["r3", "r2", "r1", "r0"]


def test_ten_copies_of_one_story_do_not_fill_the_queue():
    copies = [row(i, STORIES[0] + f" update {i}") for i in range(10)]  # all maximally uncertain
    others = [row(10 + i, t, (0.6, 0.3, 0.1), topic=0.2) for i, t in enumerate(STORIES[1:])]
    queue = label_next(copies + others, limit=5)
    ids = [q.id for q in queue]
    assert ids[0] == "r0" and set(ids[1:4]) == {"r10", "r11", "r12"}
    assert sum(i.startswith("r") and int(i[1:]) < 10 for i in ids) == 2
    assert queue[4].similar_to == "r0" and queue[4].similarity > 0.5
    assert len(label_next(copies + others)) == 13  # nobody is dropped, only moved back


def test_empty_and_limit():
    assert label_next([]) == []
    assert len(label_next([row(i, t) for i, t in enumerate(STORIES)], limit=2)) == 2
