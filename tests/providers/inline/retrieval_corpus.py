"""A small hand-written retrieval corpus: short passages on varied topics and user questions, each naming its answer."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

__all__ = ["PASSAGES", "QUESTIONS", "Passage", "Question", "QuestionKind"]

# How a question relates to its answer, judged when it was written (before any search ran):
# ``overlap``: it shares its key words with the answer passage;
# ``paraphrase``: it says the same thing in other words, sharing few or none;
# ``distractor``: its key words also appear (or appear more) in some other passage.
QuestionKind = Literal["overlap", "paraphrase", "distractor"]


@dataclass(frozen=True)
class Passage:
    id: str
    text: str


@dataclass(frozen=True)
class Question:
    text: str
    answer: str  # the id of the one passage that answers it
    kind: QuestionKind


PASSAGES: tuple[Passage, ...] = (
    # --- science ---
    Passage(
        "sci-photosynthesis",
        "Green plants capture sunlight with chlorophyll and use its energy to turn carbon dioxide and water "
        "into sugar. Oxygen is released as a by-product of this process.",
    ),
    Passage(
        "sci-mercury-planet",
        "Mercury is the smallest planet in the solar system and the one closest to the Sun. A year there lasts "
        "only 88 Earth days, yet a single solar day lasts about 176 Earth days.",
    ),
    Passage(
        "sci-mercury-metal",
        "The metal mercury is liquid at room temperature, which made it useful in old thermometers and "
        "barometers. Its vapour is toxic, so spilled droplets should never be vacuumed up.",
    ),
    Passage(
        "sci-tides",
        "Ocean tides are raised mainly by the Moon's gravity, which pulls the water into a bulge on the side of "
        "Earth facing it and another on the far side. When the Sun and Moon line up, the spring tides are highest.",
    ),
    Passage(
        "sci-dna",
        "DNA stores genetic instructions as a sequence of four bases: adenine, thymine, guanine and cytosine. "
        "Two strands wind around each other in a double helix, held together by base pairs.",
    ),
    Passage(
        "sci-sound-speed",
        "Sound travels through air at roughly 343 metres per second at 20 °C, and more than four times faster "
        "through water. That is why a thunderclap arrives seconds after the lightning flash.",
    ),
    Passage(
        "sci-black-hole",
        "A black hole forms when a massive star collapses under its own gravity into a region from which not even "
        "light can escape. The boundary of that region is called the event horizon.",
    ),
    Passage(
        "sci-plate-tectonics",
        "Earth's outer shell is broken into plates that drift a few centimetres a year. Where they grind past or "
        "dive beneath one another, earthquakes and volcanoes are common.",
    ),
    Passage(
        "sci-battery-cell",
        "A battery cell makes electricity from a chemical reaction: electrons flow from the negative electrode to "
        "the positive one through the outside circuit. Lithium-ion cells are recharged by driving that reaction "
        "backwards.",
    ),
    Passage(
        "sci-mitochondria",
        "Mitochondria are the organelles that supply most of a cell's energy, burning sugar with oxygen to make "
        "ATP. They carry their own small loop of DNA, inherited from the mother.",
    ),
    # --- history ---
    Passage(
        "hist-rosetta",
        "The Rosetta Stone, found in Egypt in 1799, carries the same decree in hieroglyphs, Demotic script and "
        "ancient Greek. Comparing the three let Jean-François Champollion decipher hieroglyphs in 1822.",
    ),
    Passage(
        "hist-printing",
        "Around 1450 Johannes Gutenberg in Mainz combined movable metal type, oil-based ink and a screw press. "
        "Books became far cheaper, and printed pamphlets spread the ideas of the Reformation.",
    ),
    Passage(
        "hist-great-wall",
        "The Great Wall of China is not one wall but many, built and rebuilt over some two thousand years. Most "
        "of what tourists see today dates from the Ming dynasty.",
    ),
    Passage(
        "hist-magna-carta",
        "In 1215 rebellious barons forced King John of England to seal the Magna Carta at Runnymede. It "
        "established that the king too was bound by law.",
    ),
    Passage(
        "hist-moon-landing",
        "Apollo 11 landed on the Moon in July 1969. Neil Armstrong and Buzz Aldrin walked on the surface while "
        "Michael Collins stayed in orbit aboard the command module.",
    ),
    Passage(
        "hist-berlin-wall",
        "The Berlin Wall divided the city from 1961 until November 1989, when crowds crossed it after a confused "
        "announcement that travel restrictions were lifted. Germany reunified less than a year later.",
    ),
    Passage(
        "hist-black-death",
        "The Black Death swept across Europe between 1347 and 1351 and killed perhaps a third of the population. "
        "The plague bacterium was carried by fleas living on rats.",
    ),
    Passage(
        "hist-pyramids",
        "The Great Pyramid of Giza was built for the pharaoh Khufu around 2560 BC. It remained the tallest "
        "human-made structure in the world for nearly four thousand years.",
    ),
    # --- cooking ---
    Passage(
        "cook-risotto",
        "For a risotto, toast short-grain rice in butter before adding hot stock a ladle at a time, stirring "
        "often. The starch released by the grains gives the dish its creamy texture.",
    ),
    Passage(
        "cook-bread-yeast",
        "Yeast feeds on the sugars in dough and releases carbon dioxide, which is trapped by the gluten and makes "
        "bread rise. Kneading develops that gluten network.",
    ),
    Passage(
        "cook-sourdough",
        "A sourdough starter is a mixture of flour and water colonised by wild yeasts and lactic acid bacteria. "
        "It has to be fed regularly with fresh flour to stay active.",
    ),
    Passage(
        "cook-maillard",
        "Searing meat in a very hot pan browns its surface through the Maillard reaction between amino acids and "
        "sugars. That browning creates much of the savoury flavour of a steak.",
    ),
    Passage(
        "cook-eggs",
        "Lower eggs into boiling water for about six minutes for a runny yolk or ten minutes for a firm one. "
        "Cooling them in iced water afterwards makes the shells easier to peel.",
    ),
    Passage(
        "cook-onion",
        "Cutting an onion breaks its cells and releases a sulfur compound that turns into an irritating gas when "
        "it reaches your eyes. Chilling the onion first or using a sharp knife reduces the tears.",
    ),
    Passage(
        "cook-pasta-water",
        "Salt the pasta water generously, and keep a cup of it before draining: the starchy water helps a sauce "
        "cling to the noodles.",
    ),
    Passage(
        "cook-guacamole",
        "Guacamole is mashed avocado with lime juice, salt, onion and chilli. The lime slows the browning of the "
        "avocado flesh once it is exposed to air.",
    ),
    # --- sport ---
    Passage(
        "sport-marathon",
        "The marathon distance of 42.195 kilometres was fixed at the 1908 London Olympics, reportedly so that the "
        "race could start beneath the windows of Windsor Castle.",
    ),
    Passage(
        "sport-offside",
        "In football, a player is offside if, when the ball is played to them, they are in the opponents' half "
        "and nearer the goal line than both the ball and the second-last defender.",
    ),
    Passage(
        "sport-cricket-bat",
        "A cricket bat is traditionally carved from English willow, with a flat face and a humped back. The laws "
        "limit the blade to 10.8 centimetres wide.",
    ),
    Passage(
        "sport-tennis",
        "Tennis scores each game as 15, 30, 40 and game, and a score of 40–40 is called deuce. From deuce a player "
        "must win two points in a row to take the game.",
    ),
    Passage(
        "sport-tour-de-france",
        "The Tour de France is a three-week cycling race held every July, and the overall leader wears the yellow "
        "jersey. The final stage traditionally finishes on the Champs-Élysées in Paris.",
    ),
    Passage(
        "sport-basketball",
        "James Naismith invented basketball in 1891 at a college in Springfield, Massachusetts, using a soccer "
        "ball and two peach baskets nailed to a balcony.",
    ),
    Passage(
        "sport-sumo",
        "In sumo wrestling a bout is lost by the first wrestler who steps out of the ring or touches the ground "
        "with any part of the body other than the soles of the feet.",
    ),
    # --- geography ---
    Passage(
        "geo-amazon",
        "The Amazon River carries more water than any other river, about a fifth of all the fresh water that flows "
        "into the oceans. Its basin holds the largest tropical rainforest on Earth.",
    ),
    Passage(
        "geo-everest",
        "Mount Everest, on the border of Nepal and the Tibet region of China, rises 8,849 metres above sea level. "
        "Climbers above 8,000 metres usually breathe bottled oxygen.",
    ),
    Passage(
        "geo-dead-sea",
        "The shore of the Dead Sea lies more than 400 metres below sea level, the lowest dry land on Earth. Its "
        "water is so salty that swimmers float without effort.",
    ),
    Passage(
        "geo-sahara",
        "The Sahara is the largest hot desert in the world, covering much of North Africa. Only a small part of it "
        "is sand dunes; most is rocky plateau and gravel plain.",
    ),
    Passage(
        "geo-iceland",
        "Iceland sits on the Mid-Atlantic Ridge, where two plates pull apart, so it has many volcanoes and hot "
        "springs. Most of its homes are heated with geothermal water.",
    ),
    Passage(
        "geo-java-island",
        "Java is the most populous island in the world, home to more than 150 million people and to Jakarta, the "
        "capital of Indonesia.",
    ),
    Passage(
        "geo-nile",
        "The Nile flows north for about 6,650 kilometres through northeastern Africa into the Mediterranean. Its "
        "annual flood once made the narrow valley in Egypt extraordinarily fertile.",
    ),
    Passage(
        "geo-panama-canal",
        "The Panama Canal, opened in 1914, lets ships pass between the Atlantic and Pacific without sailing around "
        "South America. Locks lift vessels up to an artificial lake 26 metres above sea level.",
    ),
    # --- technology ---
    Passage(
        "tech-python",
        "Python is a programming language that marks blocks of code with indentation instead of braces. It was "
        "created by Guido van Rossum and first released in 1991.",
    ),
    Passage(
        "tech-java",
        "Java programs compile to bytecode that runs on the Java Virtual Machine, so the same compiled code runs "
        "on any operating system with a JVM.",
    ),
    Passage(
        "tech-https",
        "HTTPS encrypts web traffic with TLS, so that someone on the same network cannot read or alter the pages "
        "you load. The padlock in the browser means the site's certificate was verified.",
    ),
    Passage(
        "tech-gps",
        "A GPS receiver works out its position by timing signals from at least four satellites. The satellites' "
        "clocks must be corrected for relativity, or positions would drift by kilometres each day.",
    ),
    Passage(
        "tech-ssd",
        "A solid-state drive stores data in flash memory chips with no moving parts, so it reads files much "
        "faster than a spinning hard disk and survives being dropped.",
    ),
    Passage(
        "tech-passwords",
        "Websites should store passwords as salted hashes made with a slow function such as bcrypt or Argon2, so "
        "a stolen database does not reveal the passwords themselves.",
    ),
    Passage(
        "tech-qr",
        "A QR code stores data in a square grid of black and white modules, and its error correction lets a phone "
        "read it even when part of the code is damaged or covered.",
    ),
    Passage(
        "tech-transistor",
        "The transistor, invented at Bell Labs in 1947, is a tiny switch controlled by electricity. A modern "
        "processor packs billions of them onto a single chip.",
    ),
    # --- health ---
    Passage(
        "health-vaccines",
        "A vaccine trains the immune system by showing it a harmless piece or weakened form of a germ. If the real "
        "germ arrives later, the body recognises it and fights it off quickly.",
    ),
    Passage(
        "health-sleep",
        "Most adults need seven to nine hours of sleep a night. Regular short sleep is linked to weaker immunity, "
        "weight gain and poorer concentration.",
    ),
    Passage(
        "health-hydration",
        "Thirst is an early signal of dehydration; dark yellow urine is another. In hot weather or during "
        "exercise you lose water through sweat and need to drink more.",
    ),
    Passage(
        "health-antibiotics",
        "Antibiotics kill bacteria or stop them growing, but they do nothing against viruses such as those causing "
        "colds and flu. Overusing them breeds resistant bacteria.",
    ),
    Passage(
        "health-sunscreen",
        "Sunscreen with a high SPF blocks most of the ultraviolet B rays that cause sunburn. It should be "
        "reapplied every two hours and after swimming.",
    ),
    Passage(
        "health-exercise",
        "About 150 minutes of moderate exercise a week, such as brisk walking, lowers blood pressure and "
        "strengthens the heart.",
    ),
    # --- music ---
    Passage(
        "music-orchestra-tuning",
        "Before a concert the orchestra tunes to an A played by the oboe, usually pitched at 440 hertz. The oboe's "
        "steady, penetrating tone is easy for everyone to hear.",
    ),
    Passage(
        "music-beethoven",
        "Beethoven began to lose his hearing in his late twenties and was almost completely deaf when he wrote his "
        "Ninth Symphony. He still conducted its premiere in Vienna in 1824.",
    ),
    Passage(
        "music-piano",
        "Inside a piano, pressing a key swings a felt-covered hammer against the strings. The sustain pedal lifts "
        "the dampers so the notes keep ringing after the keys are released.",
    ),
    Passage(
        "music-blues",
        "The blues grew out of African American work songs and spirituals in the Deep South in the late "
        "nineteenth century. Its twelve-bar form and flattened blue notes shaped jazz and rock.",
    ),
    Passage(
        "music-vinyl",
        "A vinyl record stores sound as a wavy groove cut in a spiral; the stylus follows the wiggles and turns "
        "them back into an electrical signal.",
    ),
    Passage(
        "music-guitar",
        "A standard six-string guitar is tuned E, A, D, G, B, E from the lowest string to the highest.",
    ),
    # --- nature ---
    Passage(
        "nature-bats",
        "Bats find insects in the dark by echolocation: they emit high-pitched calls and listen to the echoes "
        "bouncing back. They are the only mammals capable of true flight.",
    ),
    Passage(
        "nature-python-snake",
        "Pythons are non-venomous snakes that kill their prey by constriction, coiling around it and squeezing. "
        "The reticulated python can grow longer than six metres.",
    ),
    Passage(
        "nature-honeybees",
        "Honeybees tell their hive mates where to find flowers with a waggle dance: the angle of the dance shows "
        "the direction relative to the Sun and its length shows the distance.",
    ),
    Passage(
        "nature-octopus",
        "An octopus has three hearts and blue blood, which is coloured by a copper-based protein. It can change "
        "the colour and texture of its skin in a fraction of a second.",
    ),
    Passage(
        "nature-monarch",
        "Monarch butterflies migrate up to 4,000 kilometres from Canada and the United States to spend the winter "
        "in the mountain forests of central Mexico.",
    ),
    # --- economics and art ---
    Passage(
        "econ-inflation",
        "Inflation is the rate at which prices rise across an economy. Central banks usually raise interest rates "
        "to slow it, because dearer borrowing cools spending.",
    ),
    Passage(
        "econ-compound-interest",
        "A savings account with compound interest pays interest on earlier interest as well, so the balance grows "
        "faster each year it is left alone.",
    ),
    Passage(
        "art-mona-lisa",
        "Leonardo da Vinci painted the Mona Lisa in the early sixteenth century; it hangs in the Louvre in Paris "
        "behind bulletproof glass.",
    ),
)

QUESTIONS: tuple[Question, ...] = (
    Question("How do plants make their food from sunlight?", "sci-photosynthesis", "overlap"),
    Question("How long is a year on the closest planet to the sun?", "sci-mercury-planet", "overlap"),
    Question(
        "Is it dangerous to clean up a broken thermometer with a vacuum cleaner?",
        "sci-mercury-metal",
        "paraphrase",
    ),
    Question("Why does the sea rise and fall twice a day?", "sci-tides", "paraphrase"),
    Question("What are the four letters of the genetic code?", "sci-dna", "overlap"),
    Question("Why do I hear thunder after I see lightning?", "sci-sound-speed", "overlap"),
    Question(
        "What is the point of no return around a collapsed star called?", "sci-black-hole", "paraphrase"
    ),
    Question("What causes earthquakes?", "sci-plate-tectonics", "overlap"),
    Question("How does a rechargeable lithium battery work?", "sci-battery-cell", "overlap"),
    Question("Which part of the cell is its power plant?", "sci-mitochondria", "distractor"),
    Question("How did scholars finally learn to read Egyptian hieroglyphs?", "hist-rosetta", "overlap"),
    Question("Who invented the printing press in Europe?", "hist-printing", "overlap"),
    Question("Which dynasty built most of the wall sightseers visit in China?", "hist-great-wall", "overlap"),
    Question(
        "What document limited the power of the English king in the thirteenth century?",
        "hist-magna-carta",
        "paraphrase",
    ),
    Question(
        "Which astronaut stayed behind in orbit during the first moon landing?",
        "hist-moon-landing",
        "overlap",
    ),
    Question("When did East and West Germany become one country again?", "hist-berlin-wall", "paraphrase"),
    Question("What animal spread the medieval plague?", "hist-black-death", "overlap"),
    Question("Which pharaoh was the big pyramid in Egypt built for?", "hist-pyramids", "distractor"),
    Question("How do I get my rice dish creamy without adding cream?", "cook-risotto", "overlap"),
    Question("What makes dough puff up?", "cook-bread-yeast", "distractor"),
    Question("Why does a steak taste better when it is browned in a hot pan?", "cook-maillard", "overlap"),
    Question("How many minutes should I boil an egg for a soft yolk?", "cook-eggs", "overlap"),
    Question("Why do my eyes water when I chop onions?", "cook-onion", "paraphrase"),
    Question("How do I keep my starter alive between bakes?", "cook-sourdough", "overlap"),
    Question("How do I stop avocado dip from turning brown?", "cook-guacamole", "overlap"),
    Question("Why save some of the cooking liquid from spaghetti?", "cook-pasta-water", "paraphrase"),
    Question("Why is a marathon exactly 42.195 km long?", "sport-marathon", "overlap"),
    Question("When is an attacker in soccer standing in an illegal position?", "sport-offside", "paraphrase"),
    Question("What kind of wood are cricket bats made from?", "sport-cricket-bat", "distractor"),
    Question("What does deuce mean in tennis?", "sport-tennis", "overlap"),
    Question(
        "Who gets to wear the yellow jersey in the big bike race in France?",
        "sport-tour-de-france",
        "overlap",
    ),
    Question("Who came up with the game of hoops and when?", "sport-basketball", "paraphrase"),
    Question("How do you lose a match in Japanese wrestling?", "sport-sumo", "overlap"),
    Question("Which river has the greatest flow of water?", "geo-amazon", "distractor"),
    Question("How tall is the highest mountain in the world?", "geo-everest", "paraphrase"),
    Question("Where is the lowest place on land?", "geo-dead-sea", "overlap"),
    Question("Is the Sahara mostly made of sand dunes?", "geo-sahara", "overlap"),
    Question("Why do Icelanders have such cheap heating?", "geo-iceland", "paraphrase"),
    Question("How many people live on Java?", "geo-java-island", "distractor"),
    Question(
        "How do ships get across from the Atlantic to the Pacific without going around the Americas?",
        "geo-panama-canal",
        "overlap",
    ),
    Question("Which river's yearly floods made farming possible in ancient Egypt?", "geo-nile", "distractor"),
    Question("Which programming language uses whitespace to structure code?", "tech-python", "overlap"),
    Question("How big can the largest python get?", "nature-python-snake", "distractor"),
    Question(
        "Why can a Java program run on Windows and Linux without recompiling?", "tech-java", "distractor"
    ),
    Question("What does the lock icon next to a website address mean?", "tech-https", "paraphrase"),
    Question("How does my phone know where I am using satellites?", "tech-gps", "overlap"),
    Question("Why is an SSD quicker than a hard disk?", "tech-ssd", "overlap"),
    Question("What is the safe way for a site to keep user passwords?", "tech-passwords", "overlap"),
    Question("Can a scanner still read a square barcode if it is partly torn?", "tech-qr", "paraphrase"),
    Question("What tiny electronic switch are computer chips made of?", "tech-transistor", "overlap"),
    Question("How do jabs protect you from disease?", "health-vaccines", "paraphrase"),
    Question("How many hours of rest does a grown-up need each night?", "health-sleep", "overlap"),
    Question("What are the early signs that I'm not drinking enough?", "health-hydration", "paraphrase"),
    Question("Will antibiotics cure my cold?", "health-antibiotics", "overlap"),
    Question("How often should I put on more sun cream at the beach?", "health-sunscreen", "paraphrase"),
    Question("How much walking per week is good for blood pressure?", "health-exercise", "overlap"),
    Question("Which instrument gives the note the orchestra tunes to?", "music-orchestra-tuning", "overlap"),
    Question("Was the composer of the Ninth Symphony able to hear it?", "music-beethoven", "overlap"),
    Question("What does the right foot pedal on a piano do?", "music-piano", "overlap"),
    Question("Where did the blues come from?", "music-blues", "overlap"),
    Question("How does a record player turn grooves into music?", "music-vinyl", "overlap"),
    Question("What notes are the strings of a guitar tuned to?", "music-guitar", "distractor"),
    Question("How do bats hunt at night?", "nature-bats", "overlap"),
    Question("How do bees show each other where the flowers are?", "nature-honeybees", "overlap"),
    Question("Which sea creature has more than one heart?", "nature-octopus", "paraphrase"),
    Question("Where do orange butterflies from North America go in winter?", "nature-monarch", "overlap"),
    Question("Why do central banks put up interest rates when prices climb?", "econ-inflation", "overlap"),
    Question("Where can I see the Mona Lisa?", "art-mona-lisa", "overlap"),
    Question("Why does my savings balance grow faster over time?", "econ-compound-interest", "overlap"),
)
