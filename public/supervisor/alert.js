// @ts-check
/**
 * A new escalation is hard to miss: a short two-tone chime (Web Audio, no sound file), the count
 * of open ones on the tab and in the window's title, and the row itself flashes (app.css
 * .arrived). A browser that refuses to play sound before the user has touched the page still
 * shows the rest.
 */

/** @type {AudioContext | null} */
let audio = null;

export function chime() {
  try {
    audio ??= new AudioContext();
    const now = audio.currentTime;
    for (const [i, frequency] of [880, 660].entries()) {
      const tone = audio.createOscillator();
      const gain = audio.createGain();
      tone.frequency.value = frequency;
      gain.gain.setValueAtTime(0.0001, now + i * 0.18);
      gain.gain.exponentialRampToValueAtTime(0.2, now + i * 0.18 + 0.02);
      gain.gain.exponentialRampToValueAtTime(0.0001, now + i * 0.18 + 0.16);
      tone.connect(gain).connect(audio.destination);
      tone.start(now + i * 0.18);
      tone.stop(now + i * 0.18 + 0.17);
    }
  } catch {
    // no audio device or not allowed yet: the visual alert is enough
  }
}

const baseTitle = () => document.title.replace(/^\(\d+\) /, '');

/**
 * The open count on the supervisor's tab and in the title (none when 0).
 * @param {number} open
 */
export function showOpenCount(open) {
  const tab = document.getElementById('tab-supervisor');
  if (tab) {
    if (open > 0) tab.dataset.count = String(open);
    else delete tab.dataset.count;
  }
  document.title = open > 0 ? `(${open}) ${baseTitle()}` : baseTitle();
}
